"""The seven domains (domain.md) and the categories below them, with the skills providers bring."""

# Counselling and legal help are confidential: their reviews show the public the stars only (PIPL).
CONFIDENTIAL = {"counselling", "legal"}

# (slug, 中文, English, [(child slug, 中文, English, [skills…])])
DOMAINS: list[tuple[str, str, str, list[tuple[str, str, str, list[str]]]]] = [
    (
        "education",
        "教育培训",
        "Education & training",
        [
            ("parent-child-reading", "亲子阅读", "Parent–child reading", ["亲子阅读", "绘本", "家庭教育"]),
            ("calligraphy", "书法培训", "Calligraphy", ["书法", "硬笔书法", "毛笔字"]),
            ("kids-programming", "少儿编程", "Kids' programming", ["少儿编程", "Scratch", "Python"]),
            ("vocational-skills", "职业技能", "Vocational skills", ["电工", "焊接", "数控", "技能培训"]),
        ],
    ),
    (
        "hightech",
        "高新科技",
        "High tech",
        [
            ("big-data", "大数据", "Big data", ["大数据", "数据分析", "Hadoop"]),
            ("ai", "人工智能", "Artificial intelligence", ["人工智能", "机器学习", "智能制造"]),
            ("ip-protection", "知识产权", "Intellectual property", ["知识产权", "专利", "商标"]),
        ],
    ),
    (
        "health",
        "医疗健康",
        "Medical & health",
        [
            ("counselling", "心理咨询", "Psychological counselling", ["心理咨询", "情绪疏导", "压力管理"]),
            ("health-check", "健康检查", "Health checks", ["健康检查", "体检", "慢病管理"]),
            ("first-aid", "急救培训", "First aid", ["急救", "心肺复苏", "AED"]),
            ("tcm", "中医保健", "Traditional Chinese medicine", ["中医", "推拿", "针灸"]),
        ],
    ),
    (
        "legal",
        "法律咨询",
        "Legal consultation",
        [
            ("labour-law", "劳动争议", "Labour disputes", ["劳动法", "劳动合同", "工伤"]),
            ("family-law", "婚姻家事", "Family law", ["婚姻家事", "继承", "抚养"]),
            ("gig-worker-rights", "新就业形态权益", "Gig workers' rights", ["新就业形态", "平台用工", "社保"]),
        ],
    ),
    (
        "jobs",
        "岗位招聘",
        "Job recruitment",
        [
            ("job-fairs", "招聘会", "Job fairs", ["招聘", "岗位推荐"]),
            ("career-guidance", "职业指导", "Career guidance", ["职业规划", "简历指导", "面试辅导"]),
        ],
    ),
    (
        "lectures",
        "主题宣讲",
        "Thematic lectures",
        [
            ("policy", "政策宣讲", "Policy talks", ["政策解读", "工会政策"]),
            ("craftsman-spirit", "工匠精神", "Craftsman spirit", ["劳模精神", "工匠精神", "技术创新"]),
        ],
    ),
    (
        "visits",
        "参观交流",
        "Visits & exchanges",
        [
            ("company-visits", "企业参观", "Company visits", ["企业参观", "物流", "智能制造"]),
            ("summer-camps", "夏令营", "Summer camps", ["夏令营", "研学", "亲子活动"]),
        ],
    ),
]
