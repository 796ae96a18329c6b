// routes.js -- the one routing table. To add a page: write js/pages/<name>.js
// exporting render(ctx) (optionally returning a cleanup function), add a row
// here with the roles that may open it, and add its nav.* label to the
// dictionaries. `nav: 'key'` puts it in the top navigation, `nav2: 'key'` in
// the second row (work tools).
import { STAFF } from './roles.js';

export const routes = [
  { path: '/login', load: () => import('./pages/login.js'), public: true },
  { path: '/report', load: () => import('./pages/report.js'), roles: ['resident', 'community_staff', 'dispatcher', 'admin'], nav: 'nav.report' },
  { path: '/patrol', load: () => import('./pages/report.js'), roles: ['grid_worker'], nav: 'nav.patrol', props: { source: 'patrol' } },
  { path: '/mine', load: () => import('./pages/mine.js'), roles: ['resident'], nav: 'nav.mine' },
  { path: '/tasks', load: () => import('./pages/tasks.js'), roles: ['grid_worker', 'community_staff'], nav: 'nav.tasks' },
  { path: '/queue', load: () => import('./pages/queue.js'), roles: ['dispatcher', 'admin', 'supervisor', 'community_staff', 'grid_worker'], nav: 'nav.queue' },
  { path: '/inbox', load: () => import('./pages/inbox.js'), roles: ['dept_staff'], nav: 'nav.inbox' },
  { path: '/whistles', load: () => import('./pages/whistles.js'), roles: ['dispatcher', 'admin', 'supervisor', 'community_staff', 'dept_staff'], nav2: 'nav.whistles' },
  { path: '/designer', load: () => import('./pages/designer.js'), roles: ['dispatcher', 'admin'], nav2: 'nav.designer' },
  { path: '/alarms', load: () => import('./pages/alarms.js'), roles: ['dispatcher', 'admin', 'supervisor', 'community_staff'], nav2: 'nav.alarms' },
  { path: '/warnings', load: () => import('./pages/warnings.js'), roles: ['dispatcher', 'admin', 'supervisor', 'community_staff'], nav2: 'nav.warnings' },
  { path: '/worklist', load: () => import('./pages/worklist.js'), roles: ['dept_staff', 'dispatcher', 'supervisor', 'admin', 'community_staff'], nav2: 'nav.worklist' },
  { path: '/burden', load: () => import('./pages/burden.js'), roles: ['dept_staff', 'dispatcher', 'supervisor', 'admin', 'community_staff'], nav2: 'nav.burden' },
  { path: '/eval', load: () => import('./pages/eval.js'), roles: ['dept_staff', 'dispatcher', 'supervisor', 'admin', 'community_staff'], nav2: 'nav.eval' },
  { path: '/dashboard', load: () => import('./pages/dashboard.js'), roles: ['dispatcher', 'admin', 'supervisor', 'community_staff'], nav: 'nav.dashboard' },
  { path: '/track', load: () => import('./pages/track.js'), roles: ['resident', ...STAFF], nav: 'nav.track' },
  { path: '/case/:id', load: () => import('./pages/case.js'), roles: ['resident', ...STAFF] },
  { path: '/people', load: () => import('./pages/people.js'), roles: ['dispatcher', 'admin', 'supervisor', 'community_staff'], nav2: 'nav.people' },
  { path: '/people/review', load: () => import('./pages/people.js'), roles: ['dispatcher', 'admin', 'community_staff'], props: { view: 'review' } },
  { path: '/people/person/:id', load: () => import('./pages/people.js'), roles: ['dispatcher', 'admin', 'supervisor', 'community_staff'], props: { view: 'person' } },
  { path: '/admin', load: () => import('./pages/admin.js'), roles: ['admin'], nav2: 'nav.admin' },
  { path: '/audit', load: () => import('./pages/audit.js'), roles: ['admin', 'supervisor'], nav2: 'nav.audit' },
  { path: '/brief', load: () => import('./pages/brief.js'), roles: ['dispatcher', 'admin', 'supervisor', 'community_staff'], nav2: 'nav.brief' },
  { path: '/print/:id', load: () => import('./pages/print.js'), roles: STAFF },
  { path: '/messages', load: () => import('./pages/messages.js'), roles: ['resident', ...STAFF] },
  { path: '/password', load: () => import('./pages/password.js'), roles: ['resident', ...STAFF] },
];

// Where each role lands after logging in.
export const HOME = {
  resident: '/report', grid_worker: '/tasks', community_staff: '/queue', dispatcher: '/queue',
  dept_staff: '/inbox', supervisor: '/queue', admin: '/queue',
};

// match('/case/12') -> {route, params: {id: '12'}} or null
export function match(path) {
  for (const route of routes) {
    const a = route.path.split('/'), b = path.split('/');
    if (a.length !== b.length) continue;
    const params = {};
    if (a.every((seg, i) => (seg.startsWith(':') ? ((params[seg.slice(1)] = decodeURIComponent(b[i])), b[i] !== '') : seg === b[i])))
      return { route, params };
  }
  return null;
}

export const allowed = (route, user) => route.public || (user && route.roles.includes(user.role));
