// en.js -- English.
export default {
  'app.name': 'jiceng · Community Governance',
  'app.language': 'Language',
  'app.skip': 'Skip to main content',
  'app.nav': 'Main navigation',

  'nav.report': 'Report a problem', 'nav.patrol': 'Patrol finding', 'nav.mine': 'My reports', 'nav.tasks': 'Verification tasks',
  'nav.queue': 'Case queue', 'nav.inbox': 'Department inbox', 'nav.dashboard': 'Community cloud', 'nav.track': 'Track a case',
  'nav.password': 'Change password', 'nav.logout': 'Log out',

  'role.resident': 'Resident', 'role.grid_worker': 'Grid worker', 'role.community_staff': 'Community staff', 'role.dispatcher': 'Street command centre',
  'role.dept_staff': 'Department', 'role.supervisor': 'Supervisor', 'role.admin': 'Administrator', 'role.system': 'System',

  'state.reported': 'Reported', 'state.registered': 'Registered', 'state.dispatched': 'Dispatched', 'state.accepted': 'Accepted',
  'state.handling': 'Handling', 'state.feedback': 'Feedback given', 'state.verified': 'Verified', 'state.closed': 'Closed',
  'state.rated': 'Rated', 'state.returned': 'Returned', 'state.suspended': 'Suspended', 'state.deferred': 'Deferred',
  'state.voided': 'Voided', 'state.merged': 'Merged',

  'action.report': 'Report', 'action.register': 'Register', 'action.dispatch': 'Dispatch', 'action.accept': 'Accept', 'action.handle': 'Handling note',
  'action.feedback': 'Give feedback', 'action.verify': 'Verify', 'action.rework': 'Rework', 'action.close': 'Close', 'action.rate': 'Rate',
  'action.return': 'Return', 'action.suspend': 'Suspend', 'action.defer': 'Defer', 'action.resume': 'Resume', 'action.extend': 'Extend',
  'action.void': 'Void', 'action.merge': 'Merge', 'action.reopen': 'Reopen', 'action.escalate': 'Escalate', 'action.absorb': 'Absorbed a case',
  'action.read_contact': 'Contact viewed', 'action.whistle': 'Whistle', 'action.remind': 'Reminder',
  'action.done': '“{action}” done',

  'source.web': 'Web', 'source.api': 'API', 'source.open311': 'Open311', 'source.sensor': 'Sensor', 'source.patrol': 'Grid patrol',
  'source.hotline': 'Hotline', 'source.warning': 'Early warning',
  'rating.satisfied': 'Satisfied', 'rating.basic': 'Mostly satisfied', 'rating.unsatisfied': 'Unsatisfied',
  'kind.component': 'Component', 'kind.event': 'Event',

  'field.dept_id': 'Department', 'field.note': 'Note', 'field.reason': 'Reason', 'field.deadline': 'New deadline (Beijing time)',
  'field.target_id': 'Merge into case (numeric id)', 'field.rating': 'How satisfied are you with the result?',
  'hint.target_id': 'The numeric id of an open case, e.g. 5',

  'common.loading': 'Loading…', 'common.back': 'Back', 'common.back_home': 'Back to start', 'common.choose': 'Choose…',
  'common.none': 'None yet', 'common.no_cases': 'No cases match.', 'common.submit_action': 'Confirm: {action}',

  'err.invalid': 'Invalid input', 'err.unauthenticated': 'Your session has ended, please log in again', 'err.forbidden': 'Your role may not do this',
  'err.not_found': 'Not found (or outside your scope)', 'err.method_not_allowed': 'Not supported', 'err.conflict': 'The case has moved on; this action is not possible now',
  'err.too_large': 'Too large', 'err.unavailable': 'Busy, please retry', 'err.network': 'Network error', 'err.http': 'Server error',
  'err.bad_login': 'Wrong user name or password', 'err.mismatch': 'The new passwords differ', 'err.need_category': 'Please choose a category',
  'err.need_area': 'Please pin the place on the map or choose the grid', 'err.need_reason': 'Please give the reason for rework',
  'err.no_access': 'No access', 'err.no_access_text': 'Your role cannot use this page.', 'err.page_not_found': 'Page not found', 'err.page_failed': 'The page failed to load',

  'login.title': 'Log in', 'login.intro': 'One entry for street, community and department staff and for residents.', 'login.name': 'User name', 'login.password': 'Password',
  'login.submit': 'Log in', 'login.bye': 'Logged out',

  'password.title': 'Change password', 'password.intro': 'Changing it ends every session of this account; log in again with the new password.', 'password.old': 'Current password',
  'password.new': 'New password', 'password.again': 'New password again', 'password.hint': 'At least 8 characters', 'password.submit': 'Change password', 'password.done': 'Password changed, please log in again',

  'report.title': 'Report a problem', 'report.intro': 'Choose a category, pin the place on the map and describe it. You get a case number to follow its progress.',
  'report.category': 'Category', 'report.cat_search': 'Search categories', 'report.cat_search_ph': 'e.g. manhole, noise, 0201', 'report.cat_none': 'No category matches',
  'report.urgent': 'urgent', 'report.where': 'Where', 'report.map_label': 'Grid map: click to pin the place', 'report.use_location': 'Use my location',
  'report.pin_clear': 'Remove pin', 'report.pin_none': 'No place pinned yet: click the map, use your location, or choose the grid below.',
  'report.pin_at': 'Pinned: {area} ({lat}, {lon})', 'report.pin_outside': 'That place is outside the grids of this street; please pin again.',
  'report.locating': 'Locating…', 'report.loc_failed': 'Could not get your location; please click the map.', 'report.loc_unavailable': 'This browser cannot locate you.',
  'report.area': 'Grid', 'report.address': 'Address (optional)', 'report.what': 'What happened', 'report.title_field': 'Title',
  'report.body': 'Details (optional)', 'report.body_hint': 'When, where, who is affected; up to 5000 characters', 'report.phone': 'Phone (optional)',
  'report.phone_hint': 'Only the staff handling it see it, and each view is logged', 'report.submit': 'Send report', 'report.done': 'Sent, case number {no}',
  'report.done_title': 'Report sent', 'report.done_text': 'Your report was received. Keep this case number to follow its progress:', 'report.follow': 'Follow it',
  'report.another': 'Report another problem',
  'patrol.title': 'Patrol finding', 'patrol.intro': 'Problems found on your grid patrol go straight to the street command centre.', 'patrol.submit': 'Send finding',

  'mine.title': 'My reports', 'mine.intro': 'Everything you reported and where it stands.', 'mine.to_rate': '{n} closed case(s) are waiting for your rating.',
  'mine.rate': 'Rate', 'mine.view': 'View',

  'track.title': 'Track a case', 'track.no': 'Case number', 'track.hint': 'e.g. JC20261127-6, or the numeric id', 'track.submit': 'Search',

  'tasks.title': 'Verification tasks', 'tasks.intro': 'Cases in {area} where the department gave feedback, waiting for your check on site.', 'tasks.none': 'Nothing to verify right now.',
  'tasks.count': '{n} case(s) to verify', 'tasks.note': 'Verification note', 'tasks.note_hint': 'Optional when verifying; required for rework',

  'queue.title': 'Case queue', 'queue.filters': 'Filters', 'queue.all': 'All', 'queue.open': 'Open', 'queue.whole': '(whole community)',
  'queue.apply': 'Filter', 'queue.reset': 'Clear filters', 'queue.more': 'Load more', 'queue.count': '{n} case(s)', 'queue.count_more': '{n} shown, more available',

  'case.title': 'Case', 'case.details': 'Case details', 'case.no': 'Number', 'case.state': 'State', 'case.category': 'Category', 'case.area': 'Area',
  'case.source': 'Source', 'case.dept': 'Department', 'case.deadline': 'Deadline', 'case.escalation': 'Escalation', 'case.escalated_n': 'escalated ×{n}',
  'case.created': 'Reported', 'case.updated': 'Updated', 'case.address': 'Address', 'case.phone': 'Phone', 'case.rating': 'Rating', 'case.title_col': 'Title',
  'case.timeline': 'Timeline', 'case.actions': 'Actions', 'case.no_actions': 'You have no actions on a case in this state.', 'case.map_label': 'Location of case {no}',

  'trace.verified': 'trace verified', 'trace.failed': 'trace check failed',
  'deadline.none': 'no deadline', 'deadline.left': '{span} left', 'deadline.overdue': 'overdue by {span}',
  'time.dh': '{d} d {h} h', 'time.hm': '{h} h {m} min', 'time.m': '{m} min',

  'inbox.title': 'Department inbox', 'inbox.intro': 'Cases dispatched to {dept}: accept them promptly, or return one that is not your duty with the reason.',
  'inbox.tab_new': 'To accept', 'inbox.tab_doing': 'In hand', 'inbox.tab_done': 'Fed back / done', 'inbox.open_new': 'Accept / return', 'inbox.open': 'Handle',

  'dash.title': 'Community cloud', 'dash.scope': 'Scope', 'dash.whole_street': 'Whole street', 'dash.summary': 'Summary',
  'dash.total': 'Cases', 'dash.open': 'Open', 'dash.overdue': 'Overdue', 'dash.closed': 'Closed', 'dash.satisfaction': 'Satisfaction',
  'dash.by_state': 'By state', 'dash.by_category': 'By category', 'dash.daily': 'New cases, last 14 days', 'dash.new_cases': 'New cases',
  'dash.map': 'Open cases by grid', 'dash.legend': 'Open cases:', 'dash.by_community': 'By community', 'dash.sum': 'Total',
};
