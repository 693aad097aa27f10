"""Demo listings, named like the real market's (劳模工匠云集市): leaf category -> (title, summary, shape, mode)."""

LISTINGS: dict[str, list[tuple[str, str, str, str]]] = {
    "parent-child-reading": [
        ("亲子阅读分享会", "劳模妈妈带孩子共读绘本，培养阅读习惯", "group", "offline"),
        ("周末绘本故事会", "双职工家庭的周末亲子时光", "group", "offline"),
        ("线上亲子共读营", "每晚20分钟，陪孩子读完一本书", "group", "online"),
        ("家庭教育一对一咨询", "孩子不爱读书怎么办？资深教师答疑", "slot", "online"),
    ],
    "calligraphy": [
        ("书法培训（硬笔）", "劳模带你写一手好字，零基础可报", "group", "offline"),
        ("毛笔书法入门", "从握笔到楷书基本笔画", "group", "offline"),
        ("少儿书法兴趣班", "暑期职工子女书法课", "group", "offline"),
        ("书法作品点评", "带上你的作品，大师一对一点评", "slot", "offline"),
    ],
    "kids-programming": [
        ("少儿编程", "Scratch 图形化编程启蒙", "group", "offline"),
        ("Python 少儿编程进阶", "用 Python 做小游戏", "group", "online"),
        ("机器人编程体验课", "动手搭建会动的机器人", "group", "offline"),
        ("编程学习规划咨询", "孩子该学什么？工程师家长答疑", "slot", "online"),
    ],
    "vocational-skills": [
        ("电梯维保技能分享", "特种设备安全常识", "group", "offline"),
        ("电工技能提升班", "低压电工实操与安全规范", "group", "offline"),
        ("数控车床技能培训", "劳模工匠手把手教学", "group", "offline"),
        ("焊接工艺分享", "全国技术能手讲焊接要领", "group", "offline"),
        ("技能等级考试辅导", "职业技能等级认定备考答疑", "on_request", "online"),
    ],
    "big-data": [
        ("政务数据开放应用分享", "用好公共数据做创新", "group", "offline"),
        ("大数据工程师入门课程", "从数据采集到可视化", "group", "online"),
        ("数据分析实战训练营", "Excel 到 Python 数据分析", "group", "online"),
        ("企业数字化转型咨询", "为中小企业把脉数字化", "on_request", "offline"),
    ],
    "ai": [
        ("大模型应用实践课", "职工也能用好大模型", "group", "online"),
        ("人工智能科普讲座", "AI 离我们有多近", "group", "offline"),
        ("智能制造工厂开放日", "走进无人车间", "group", "offline"),
        ("AI 办公技能速成", "用好智能工具提升效率", "group", "online"),
    ],
    "ip-protection": [
        ("企业知识产权保护讲座", "专利、商标与商业秘密保护", "group", "offline"),
        ("专利申请一对一辅导", "职工发明创造如何申请专利", "slot", "online"),
        ("商标注册咨询", "小微企业商标注册要点", "on_request", "online"),
    ],
    "counselling": [
        ("青少年心理成长课", "家长与孩子一起参加", "group", "offline"),
        ("线上心理咨询", "国家二级心理咨询师一对一倾听", "slot", "online"),
        ("情绪减压工作坊", "正念练习与压力管理", "group", "offline"),
        ("骑手心理关爱专场", "为外卖骑手、快递小哥送上心理关怀", "slot", "online"),
        ("婚恋情感咨询", "沟通与相处的心理学", "slot", "online"),
    ],
    "health-check": [
        ("免费健康检查", "血压、血糖、心电图基础检查", "group", "offline"),
        ("慢病管理咨询", "高血压、糖尿病日常管理", "slot", "offline"),
        ("户外劳动者健康体检", "新就业形态劳动者专属体检", "group", "offline"),
        ("职业病防治咨询", "职业健康一对一问诊", "slot", "online"),
    ],
    "first-aid": [
        ("外卖骑手应急救护课", "路上遇险怎么自救互救", "group", "offline"),
        ("急救知识科普", "心肺复苏与 AED 使用", "group", "offline"),
        ("红十字救护员培训", "持证救护员课程", "group", "offline"),
        ("企业急救演练进车间", "送培训到班组", "on_request", "offline"),
    ],
    "tcm": [
        ("八段锦晨练班", "跟着老中医练八段锦", "group", "offline"),
        ("中医养生讲座", "节气养生与饮食调理", "group", "offline"),
        ("中医推拿体验", "缓解肩颈劳损", "slot", "offline"),
        ("针灸理疗咨询", "腰肌劳损怎么调理", "slot", "offline"),
    ],
    "labour-law": [
        ("农民工欠薪维权法律援助", "一对一帮你讨薪", "on_request", "offline"),
        ("劳动争议法律咨询", "欠薪、加班、解除合同怎么办", "slot", "online"),
        ("劳动合同条款解读讲座", "签合同前必看的几件事", "group", "offline"),
        ("工伤认定一对一咨询", "工伤申报流程与材料", "slot", "offline"),
    ],
    "family-law": [
        ("遗嘱订立指导", "律师一对一指导", "slot", "offline"),
        ("婚姻家事法律咨询", "离婚、抚养与财产分割", "slot", "online"),
        ("继承与赡养法律讲座", "家庭财产与养老问题", "group", "offline"),
        ("家事调解服务", "律师与调解员共同服务", "on_request", "offline"),
    ],
    "gig-worker-rights": [
        ("新就业形态劳动者权益讲座", "平台用工与社保权益", "group", "offline"),
        ("骑手权益一对一咨询", "派单、扣款与事故处理", "slot", "online"),
        ("网约车司机法律服务", "交通事故与平台纠纷", "slot", "online"),
    ],
    "job-fairs": [
        ("女职工再就业专场", "灵活岗位与技能培训", "group", "offline"),
        ("南山区春风行动招聘会", "百家企业、千个岗位", "group", "offline"),
        ("骑手专场招聘会", "灵活就业与转岗机会", "group", "offline"),
        ("高新企业技能岗位对接会", "技术工人专场", "group", "offline"),
    ],
    "career-guidance": [
        ("职业规划一对一咨询", "劳模工匠帮你规划职业路线", "slot", "online"),
        ("简历与面试辅导", "HR 专家一对一指导", "slot", "online"),
        ("青年职工成长沙龙", "与劳模面对面", "group", "offline"),
    ],
    "policy": [
        ("工会会员权益知识竞赛", "边答题边了解权益", "group", "offline"),
        ("工会惠企政策宣讲", "职工福利与工会服务政策", "group", "offline"),
        ("个税与社保新政解读", "算清自己的账", "group", "online"),
        ("职工互助保障政策说明会", "看病住院怎么报销", "group", "offline"),
    ],
    "craftsman-spirit": [
        ("劳模工匠故事会", "听身边的劳模讲故事", "group", "online"),
        ("劳模精神宣讲进企业", "劳模讲述奋斗故事", "on_request", "offline"),
        ("工匠精神分享会", "大国工匠的匠心之路", "group", "offline"),
        ("技术创新工作室开放日", "走进劳模创新工作室", "group", "offline"),
    ],
    "company-visits": [
        ("参观大疆无人机展厅", "体验深圳智造", "group", "offline"),
        ("参观顺丰集团", "走进智慧物流枢纽", "group", "offline"),
        ("参观腾讯滨海大厦", "了解互联网企业文化", "group", "offline"),
        ("参观比亚迪新能源工厂", "新能源汽车生产线", "group", "offline"),
        ("深圳湾实验室开放日", "生命科学前沿体验", "group", "offline"),
    ],
    "summer-camps": [
        ("少儿足球夏令营", "劳模教练带孩子踢球", "group", "offline"),
        ("职工子女暑期夏令营", "科技、艺术与劳动实践", "group", "offline"),
        ("亲子研学营", "跟着劳模去研学", "group", "offline"),
        ("劳动教育体验营", "职工子女职业体验日", "group", "offline"),
    ],
}

REVIEW_TEXTS = [
    "老师讲得很细致，受益匪浅",
    "非常耐心，下次还来",
    "内容实用，解决了我的问题",
    "时间安排合理，服务周到",
    "劳模老师很专业，感谢工会",
    "孩子很喜欢，希望多开几期",
    "咨询很及时，态度很好",
    "讲座内容丰富，就是人有点多",
    "还可以，希望时间更灵活",
    "场地有点远，但内容不错",
]
# Quick tags by code (domain/review_tags.py): what went well, and what did not for the low stars.
REVIEW_TAGS = ["professional", "patient", "on_time", "clear", "rewarding"]
REVIEW_TAGS_LOW = ["late", "rushed", "unclear"]

NEEDS = [
    ("learning-help", "想给孩子找个暑期编程老师", "kids-programming"),
    ("overtime", "公司拖欠加班费，想咨询怎么维权", "labour-law"),
    ("sleep", "长期夜班睡不好，想找人聊聊", "counselling"),
    ("back-pain", "送快递腰疼，想找中医看看", "tcm"),
    ("resume", "想转行做技术岗位，需要简历指导", "career-guidance"),
    ("first-aid-team", "班组想学急救，能否上门培训", "first-aid"),
    ("patent", "有个小发明，想了解怎么申请专利", "ip-protection"),
    ("platform-fine", "平台无故扣款，想咨询律师", "gig-worker-rights"),
]
