// roles.js -- which role may do what, mirroring docs/api.md. The UI only uses
// this to hide what a role cannot do; the API refuses anyway.
export const ROLES = ['resident', 'grid_worker', 'community_staff', 'dispatcher', 'dept_staff', 'supervisor', 'admin'];
export const STAFF = ROLES.filter((r) => r !== 'resident');

const DISP = ['dispatcher', 'admin'];
const SUP = ['dispatcher', 'admin', 'supervisor'];

// name -> {from: states, roles, fields: [{name, kind: text|textarea|dept|datetime|case|rating, required}]}
export const ACTIONS = {
  register: { from: ['reported'], roles: [...DISP, 'community_staff'], fields: [] },
  dispatch: { from: ['registered', 'returned'], roles: DISP, fields: [{ name: 'dept_id', kind: 'dept', required: true }] },
  accept: { from: ['dispatched'], roles: ['dept_staff'], fields: [] },
  handle: { from: ['accepted', 'handling'], roles: ['dept_staff'], fields: [{ name: 'note', kind: 'textarea', required: true }] },
  feedback: { from: ['accepted', 'handling'], roles: ['dept_staff'], fields: [{ name: 'note', kind: 'textarea', required: true }] },
  return: { from: ['dispatched', 'accepted'], roles: ['dept_staff'], fields: [{ name: 'reason', kind: 'textarea', required: true }] },
  verify: { from: ['feedback'], roles: ['grid_worker', 'community_staff', ...DISP], fields: [{ name: 'note', kind: 'textarea' }] },
  rework: { from: ['feedback'], roles: ['grid_worker', 'community_staff', ...DISP], fields: [{ name: 'reason', kind: 'textarea', required: true }] },
  close: { from: ['verified'], roles: DISP, fields: [] },
  // the reason: optional, required for 不满意 (the form checks)
  rate: { from: ['closed'], roles: ['resident', 'dispatcher'], fields: [{ name: 'rating', kind: 'rating', required: true }, { name: 'reason', kind: 'rate_reason' }] },
  suspend: { from: ['registered', 'dispatched', 'accepted', 'handling'], roles: SUP, fields: [{ name: 'reason', kind: 'textarea', required: true }] },
  defer: { from: ['accepted', 'handling'], roles: SUP, fields: [{ name: 'reason', kind: 'textarea', required: true }, { name: 'deadline', kind: 'datetime', required: true }] },
  resume: { from: ['suspended', 'deferred'], roles: SUP, fields: [] },
  extend: { from: ['dispatched', 'accepted', 'handling'], roles: SUP, fields: [{ name: 'reason', kind: 'textarea', required: true }, { name: 'deadline', kind: 'datetime', required: true }] },
  escalate: { from: ['reported', 'registered', 'dispatched', 'accepted', 'handling', 'feedback', 'verified', 'returned', 'suspended', 'deferred'], roles: SUP, fields: [{ name: 'note', kind: 'textarea', required: true }] },
  merge: { from: ['reported', 'registered', 'dispatched'], roles: DISP, fields: [{ name: 'target_id', kind: 'case', required: true }] },
  void: { from: ['reported', 'registered'], roles: DISP, fields: [{ name: 'reason', kind: 'textarea', required: true }] },
  reopen: { from: ['closed', 'rated'], roles: SUP, fields: [{ name: 'reason', kind: 'textarea', required: true }] },
  // a co-handling or summoned department's own part, kept in the trace (docs/dispatch.md)
  assist: { from: ['dispatched', 'accepted', 'handling', 'feedback', 'verified', 'returned', 'suspended', 'deferred'], roles: ['dept_staff'], fields: [{ name: 'note', kind: 'textarea', required: true }], coHandler: true },
  // 改派 to another department, 撤回 a dispatch not accepted yet, 回访 a call back after an unsatisfied rating
  redispatch: { from: ['dispatched', 'accepted', 'handling'], roles: DISP, fields: [{ name: 'dept_id', kind: 'dept', required: true }, { name: 'reason', kind: 'textarea', required: true }] },
  recall: { from: ['dispatched'], roles: DISP, fields: [{ name: 'reason', kind: 'textarea', required: true }] },
  followup: { from: ['rated'], roles: SUP, fields: [{ name: 'result', kind: 'result', required: true }, { name: 'note', kind: 'textarea' }] },
};

// The lead department's own transitions: a co-handling department may not take them.
const LEAD_ONLY = new Set(['accept', 'handle', 'feedback', 'return']);

// The actions this user may take on case c, in table order: for department
// staff the lead's transitions only on their own department's case, the
// co-handler's note only on another department's.
export function actionsFor(user, c) {
  const lead = user.role !== 'dept_staff' || c.dept_id === user.dept_id;
  return Object.entries(ACTIONS).filter(([n, a]) => a.roles.includes(user.role) && a.from.includes(c.state) &&
    (!LEAD_ONLY.has(n) || lead) && (!a.coHandler || !lead)).map(([n]) => n);
}

export const DANGER = new Set(['void', 'return', 'rework', 'suspend', 'recall']);
