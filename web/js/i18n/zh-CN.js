// zh-CN.js -- Simplified Chinese, the primary language.
export default {
  'app.name': '基层 · 社区治理平台',
  'app.language': '界面语言',
  'app.skip': '跳到主要内容',
  'app.nav': '主导航',

  'nav.report': '我要反映', 'nav.patrol': '巡查上报', 'nav.mine': '我的诉求', 'nav.tasks': '核查任务',
  'nav.queue': '案件调度', 'nav.inbox': '部门收件箱', 'nav.dashboard': '社区云', 'nav.track': '查询进度',
  'nav.password': '修改密码', 'nav.logout': '退出登录',

  'role.resident': '居民', 'role.grid_worker': '网格员', 'role.community_staff': '社区工作人员', 'role.dispatcher': '街道指挥中心',
  'role.dept_staff': '职能部门', 'role.supervisor': '督查', 'role.admin': '系统管理员', 'role.system': '系统自动',

  'state.reported': '待立案', 'state.registered': '已立案', 'state.dispatched': '已派遣', 'state.accepted': '已签收',
  'state.handling': '处置中', 'state.feedback': '已反馈', 'state.verified': '已核查', 'state.closed': '已结案',
  'state.rated': '已评价', 'state.returned': '已退回', 'state.suspended': '挂账', 'state.deferred': '缓办',
  'state.voided': '已作废', 'state.merged': '已合并',

  'action.report': '上报', 'action.register': '立案', 'action.dispatch': '派遣', 'action.accept': '签收', 'action.handle': '处置记录',
  'action.feedback': '反馈', 'action.verify': '核查通过', 'action.rework': '返工', 'action.close': '结案', 'action.rate': '评价',
  'action.return': '退回', 'action.suspend': '挂账', 'action.defer': '缓办', 'action.resume': '恢复办理', 'action.extend': '延期',
  'action.void': '作废', 'action.merge': '合并', 'action.reopen': '重开', 'action.escalate': '督办', 'action.absorb': '并入案件',
  'action.read_contact': '查看联系方式', 'action.whistle': '吹哨', 'action.remind': '催办',
  'action.done': '“{action}”已完成',

  'source.web': '网页', 'source.api': '接口', 'source.open311': 'Open311', 'source.sensor': '感知设备', 'source.patrol': '网格巡查',
  'source.hotline': '热线', 'source.warning': '预警',
  'rating.satisfied': '满意', 'rating.basic': '基本满意', 'rating.unsatisfied': '不满意',
  'kind.component': '部件', 'kind.event': '事件',

  'field.dept_id': '承办部门', 'field.note': '说明', 'field.reason': '理由', 'field.deadline': '新的期限（北京时间）',
  'field.target_id': '并入的案件编号（数字 id）', 'field.rating': '您对处理结果的评价',
  'hint.target_id': '填写要并入的未结案件的数字 id，例如 5',

  'common.loading': '正在加载…', 'common.back': '返回', 'common.back_home': '回到首页', 'common.choose': '请选择',
  'common.none': '暂无', 'common.no_cases': '没有符合条件的案件。', 'common.submit_action': '确认{action}',

  'err.invalid': '输入有误', 'err.unauthenticated': '登录已失效，请重新登录', 'err.forbidden': '您的角色无权进行此操作',
  'err.not_found': '未找到（或不在您的权限范围内）', 'err.method_not_allowed': '不支持的操作', 'err.conflict': '案件状态已变化，无法执行此操作',
  'err.too_large': '内容过大', 'err.unavailable': '服务繁忙，请稍后重试', 'err.network': '网络连接失败', 'err.http': '服务器错误',
  'err.bad_login': '用户名或密码错误', 'err.mismatch': '两次输入的新密码不一致', 'err.need_category': '请选择问题类别',
  'err.need_area': '请在地图上标注位置或选择所在网格', 'err.need_reason': '请填写返工理由',
  'err.no_access': '无权访问', 'err.no_access_text': '您的角色不能使用此页面。', 'err.page_not_found': '页面不存在', 'err.page_failed': '页面加载失败',

  'login.title': '登录', 'login.intro': '街道、社区、部门工作人员和居民使用同一入口登录。', 'login.name': '用户名', 'login.password': '密码',
  'login.submit': '登录', 'login.bye': '已退出登录',

  'password.title': '修改密码', 'password.intro': '修改后，本账号的所有登录都会失效，需要用新密码重新登录。', 'password.old': '当前密码',
  'password.new': '新密码', 'password.again': '再次输入新密码', 'password.hint': '至少 8 位', 'password.submit': '修改密码', 'password.done': '密码已修改，请重新登录',

  'report.title': '我要反映', 'report.intro': '选择问题类别，在地图上标出位置，简单描述情况。提交后会得到一个案件编号，可随时查询进度。',
  'report.category': '问题类别', 'report.cat_search': '搜索类别', 'report.cat_search_ph': '例如：井盖、噪声、0201', 'report.cat_none': '没有匹配的类别',
  'report.urgent': '紧急', 'report.where': '位置', 'report.map_label': '网格地图：点击标注问题位置', 'report.use_location': '使用我的位置',
  'report.pin_clear': '清除标注', 'report.pin_none': '尚未标注位置：点击地图，或使用我的位置，或在下面选择网格。',
  'report.pin_at': '已标注：{area}（{lat}, {lon}）', 'report.pin_outside': '该位置不在本街道的网格内，请重新标注。',
  'report.locating': '正在定位…', 'report.loc_failed': '无法获取您的位置，请在地图上点击标注。', 'report.loc_unavailable': '此浏览器不支持定位。',
  'report.area': '所在网格', 'report.address': '详细地址（可选）', 'report.what': '情况描述', 'report.title_field': '标题',
  'report.body': '具体描述（可选）', 'report.body_hint': '时间、地点、影响范围等，最多 5000 字', 'report.phone': '联系电话（可选）',
  'report.phone_hint': '仅办理人员可见，查看会留痕', 'report.submit': '提交反映', 'report.done': '已提交，案件编号 {no}',
  'report.done_title': '提交成功', 'report.done_text': '您的反映已受理。请记下案件编号，用于查询办理进度：', 'report.follow': '查看进度',
  'report.another': '再反映一个问题',
  'patrol.title': '巡查上报', 'patrol.intro': '网格巡查中发现的问题，直接上报到街道指挥中心。', 'patrol.submit': '提交巡查发现',

  'mine.title': '我的诉求', 'mine.intro': '您反映过的所有问题和办理情况。', 'mine.to_rate': '有 {n} 件已结案，等待您的评价。',
  'mine.rate': '去评价', 'mine.view': '查看',

  'track.title': '查询办理进度', 'track.no': '案件编号', 'track.hint': '例如 JC20261127-6，或数字 id', 'track.submit': '查询',

  'tasks.title': '核查任务', 'tasks.intro': '{area}内部门已反馈、等待现场核查的案件。', 'tasks.none': '目前没有待核查的案件。',
  'tasks.count': '共 {n} 件待核查', 'tasks.note': '核查说明', 'tasks.note_hint': '核查通过可不填；返工必须写明理由',

  'queue.title': '案件调度', 'queue.filters': '筛选', 'queue.all': '全部', 'queue.open': '未办结', 'queue.whole': '（全社区）',
  'queue.apply': '筛选', 'queue.reset': '清除筛选', 'queue.more': '加载更多', 'queue.count': '共 {n} 件', 'queue.count_more': '已显示 {n} 件，还有更多',

  'case.title': '案件详情', 'case.details': '案件信息', 'case.no': '编号', 'case.state': '状态', 'case.category': '类别', 'case.area': '区域',
  'case.source': '来源', 'case.dept': '承办部门', 'case.deadline': '办理期限', 'case.escalation': '督办', 'case.escalated_n': '督办 {n} 次',
  'case.created': '上报时间', 'case.updated': '更新时间', 'case.address': '地址', 'case.phone': '联系电话', 'case.rating': '评价', 'case.title_col': '标题',
  'case.timeline': '办理过程', 'case.actions': '操作', 'case.no_actions': '当前状态下您没有可执行的操作。', 'case.map_label': '案件 {no} 的位置',

  'trace.verified': '留痕已验证', 'trace.failed': '留痕校验失败',
  'deadline.none': '无期限', 'deadline.left': '剩余 {span}', 'deadline.overdue': '已超时 {span}',
  'time.dh': '{d} 天 {h} 小时', 'time.hm': '{h} 小时 {m} 分', 'time.m': '{m} 分钟',

  'inbox.title': '部门收件箱', 'inbox.intro': '派遣给{dept}的案件：请及时签收，不属于本部门职责的请写明理由退回。',
  'inbox.tab_new': '待签收', 'inbox.tab_doing': '办理中', 'inbox.tab_done': '已反馈/已办结', 'inbox.open_new': '签收/退回', 'inbox.open': '办理',

  'dash.title': '社区云', 'dash.scope': '范围', 'dash.whole_street': '全街道', 'dash.summary': '概览',
  'dash.total': '案件总数', 'dash.open': '未办结', 'dash.overdue': '已超时', 'dash.closed': '已办结', 'dash.satisfaction': '满意率',
  'dash.by_state': '按状态统计', 'dash.by_category': '按类别统计', 'dash.daily': '近 14 天每日新增', 'dash.new_cases': '新增案件',
  'dash.map': '网格未办结案件分布', 'dash.legend': '未办结件数：', 'dash.by_community': '按社区统计', 'dash.sum': '合计',
};
