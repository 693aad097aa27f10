"""Domain knowledge: the everyday words members use for what a kind of category offers.

A category's names, skills and listings say what it is in the words of those who offer it ("劳动争议",
"心肺复苏"); a member writes in their own ("老板三个月没发工资", "同事突然晕倒了"). Each concept below lists the
colloquial words, written from knowledge of the field (never from the measured set), and the *anchors* that
find the categories it describes in any market: a concept counts for every category whose Chinese or English
name contains one of its anchors. Nothing here is keyed to the seed tree's ids or slugs — a market that names
its category "劳动纠纷" or "Labour rights" still gets the words; one renamed beyond every anchor simply
goes without them, and its filed needs teach it instead.

Words are separated by spaces; a word of one character (娃, 腰) is kept by the segmenter only because it is
listed here.
"""

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Concept:
    anchors: tuple[str, ...]  # lower-case; found inside a category's names
    words: str  # the colloquial words, space-separated


CONCEPTS: tuple[Concept, ...] = (
    # ---- education & training -------------------------------------------------------------------------
    Concept(
        ("教育培训", "education"),
        "学 学习 培训 上课 课程 老师 教 辅导 兴趣班 补习 技能 本事 手艺 提升 进修 考证 入门 零基础",
    ),
    Concept(
        ("亲子阅读", "阅读", "读书", "reading", "绘本"),
        "孩子 娃 小孩 宝宝 儿子 女儿 闺女 小朋友 幼儿园 家长 爸妈 陪娃 亲子 读书 看书 读物 绘本 图画书 故事书 "
        "课外书 讲故事 睡前故事 书单 识字 认字 阅读 共读 陪读 朗读 阅读习惯 书架 童书 读书会 故事会 "
        "坐不住 专注力 玩手机 家庭教育 陪伴 早教",
    ),
    Concept(
        ("书法", "calligraphy", "练字"),
        "字 写字 练字 字迹 字体 钢笔字 硬笔 毛笔 毛笔字 书法 楷书 行书 草书 隶书 字帖 临帖 描红 "
        "笔画 握笔 横幅 春联 对联 粉笔字 签名 写得丑 潦草 工整 笔墨 宣纸 篆刻 "
        "黑板报 板书 字不好看 好看 漂亮 一手好字 写福字 国学",
    ),
    Concept(
        ("编程", "programming", "coding"),
        "编程 编写 代码 写代码 程序 小程序 电脑 游戏 做游戏 机器人 乐高 积木 scratch python c++ 信息学 "
        "奥赛 创客 少儿 孩子 娃 小学生 初中生 逻辑思维 算法 网站 app 软件 "
        "小车 智能小车 航模 无人机 单片机 arduino 电子制作 我的世界 编程猫 信息技术",
    ),
    Concept(
        ("职业技能", "技能培训", "vocational", "技工"),
        "手艺 技术 技能 师傅 学徒 电工 焊工 焊接 电焊 氩弧焊 数控 车床 机床 钳工 维修 修理 修车 汽修 "
        "空调 家电 水电 装修 木工 瓦工 叉车 挖掘机 厨师 烘焙 面点 美容 美发 育婴 月嫂 家政 保育 "
        "电梯 特种作业 操作证 上岗证 电工证 焊工证 等级证 技能证 职业资格 技师 高级工 中级工 考级 "
        "图纸 看图纸 cad 实操 转行 学门手艺 面包 蛋糕 做菜 小吃 开店 理发 化妆 美甲 "
        "缝纫 裁缝 保姆 护工 养老护理 驾驶 驾照 货车 开车 快递员转行 技术工人 大工 小工 学技术",
    ),
    # ---- high tech ------------------------------------------------------------------------------------
    Concept(
        ("高新科技", "high tech", "科技"),
        "科技 技术 数字化 信息化 电脑 软件 互联网 智能 新技术",
    ),
    Concept(
        ("大数据", "数据", "big data"),
        "数据 数据分析 统计 报表 表格 excel 透视表 函数 图表 可视化 数据库 sql 台账 账目 记账 "
        "销售数据 客户信息 信息整理 汇总 分析 bi 看板 爬虫 数字化转型 信息化 系统 电子表格 wps",
    ),
    Concept(
        ("人工智能", "智能", "artificial intelligence", "ai"),
        "ai 人工智能 智能 大模型 chatgpt gpt deepseek 豆包 kimi 文心一言 通义 ai写作 写文案 生成 "
        "自动化 机器人 机械臂 无人 智能制造 算法 机器学习 深度学习 语音识别 人脸识别 自动驾驶 "
        "被取代 抢饭碗 提高效率 办公效率 ppt 做视频 修图 画图 "
        "淘汰 智能设备 智能化 智能工厂 无人车间 无人化 自动分拣 数字人 聊天机器人 问答 写报告 翻译",
    ),
    Concept(
        ("知识产权", "专利", "商标", "intellectual property", "patent"),
        "专利 发明 小发明 实用新型 外观设计 申请专利 商标 注册商标 品牌 logo 牌子 山寨 仿冒 假冒 "
        "抄袭 盗版 侵权 版权 著作权 商业秘密 技术秘密 竞业 名字被抢注 抢注 原创 知识产权 创意 "
        "盗用 照片 图片 作品 署名 泄密 带走 职务发明 成果 归属 技术成果 配方 模仿 山寨货 打假 "
        "搬运 照搬 照抄 菜谱 包装 外观",
    ),
    # ---- medical & health -----------------------------------------------------------------------------
    Concept(
        ("医疗健康", "医疗", "medical", "health"),
        "身体 健康 不舒服 医生 医院 看病 病 疼 痛",
    ),
    Concept(
        ("心理", "情绪", "counselling", "counseling", "psycholog"),
        "心理 心情 情绪 压力 焦虑 抑郁 郁闷 烦躁 烦 失眠 睡不着 睡不好 做噩梦 想不开 崩溃 难受 心累 "
        "孤独 孤单 没人说话 倾诉 聊聊 说说话 憋屈 委屈 想哭 发脾气 脾气 吵架 矛盾 沟通 紧张 害怕 "
        "自卑 内耗 迷茫 空虚 厌学 叛逆 青春期 早恋 婚恋 感情 分手 失恋 婆媳 心理咨询 心理医生 "
        "减压 放松 疏导 心结 压抑 自闭 心理健康 不开心 想家 没动力 提不起劲 "
        "沉迷 发火 管不住 一管就 叛逆期 心里 心里话 被骂 挨骂 受气 过不去 放不下 想不通 "
        "没意思 心累 好累 太累 没人理解 理解 安慰 "
        "挫败 丢脸 羞愧 后悔 担心 恐惧 怕 社恐 不想上班 倦怠 疲惫 哭 "
        "走不出来 撑不住 没信心 低落 情绪低落 失落 绝望 心慌 情绪化 易怒",
    ),
    Concept(
        ("健康检查", "体检", "health check", "慢病"),
        "体检 检查 查查 化验 抽血 血压 高血压 血糖 糖尿病 血脂 尿酸 痛风 胆固醇 心电图 b超 ct "
        "肝功能 肾功能 骨密度 甲状腺 结节 胃镜 肠镜 视力 眼睛 牙 牙齿 听力 慢病 慢性病 三高 "
        "体重 肥胖 减肥 脂肪肝 心脏 头晕 胸闷 乏力 没力气 熬夜 亚健康 职业病 粉尘 噪音 尘肺 "
        "健康 报告 指标 偏高 医生 用药 吃药 早筛 癌症 筛查 妇科 乳腺 "
        "抽筋 缺钙 干涩 眼干 常见病 预防 斑块 心慌 消瘦 体重下降 贫血 过敏",
    ),
    Concept(
        ("急救", "first aid", "救护"),
        "急救 救护 抢救 救人 心肺复苏 cpr 人工呼吸 胸外按压 aed 除颤 海姆立克 噎住 卡住 呛 晕倒 昏倒 "
        "休克 中暑 触电 溺水 烫伤 烧伤 骨折 出血 止血 包扎 外伤 摔倒 摔伤 车祸 受伤 急救箱 "
        "急救包 120 应急 救护员 自救 互救 突发 猝死 心脏骤停 癫痫 抽搐 被狗咬 蛇咬 中毒 演练 "
        "摔下来 坠落 高处 掉下来 流血 昏迷 急救知识 消防 逃生 火灾 地震 伤口 怎么救 擦伤 处理伤口 鱼刺 开水 烫 夹伤 "
        "第一时间 发高烧 高烧 惊厥 扶 不敢扶 胸口疼 伤员",
    ),
    Concept(
        ("中医", "traditional chinese medicine", "tcm", "养生", "理疗"),
        "中医 老中医 把脉 号脉 中药 调理 养生 推拿 按摩 针灸 艾灸 拔罐 拔火罐 刮痧 理疗 经络 穴位 "
        "湿气 祛湿 上火 体虚 气血 体质 宫寒 怕冷 手脚冰凉 食疗 药膳 节气 八段锦 太极 五禽戏 "
        "腰 腰疼 腰痛 腰酸 腰椎 颈椎 肩周炎 肩颈 脖子 膝盖 关节 风湿 劳损 腰肌劳损 酸痛 腰酸背痛 "
        "落枕 扭伤 失眠调理 脾胃 胃胀 消化 针 膏方 坐月子 产后 调养 亚健康 虚 湿",
    ),
    # ---- legal ----------------------------------------------------------------------------------------
    Concept(
        ("法律咨询", "法律", "legal", "law"),
        "法律 律师 维权 起诉 打官司 法院 纠纷 合法 违法 赔偿 权益 咨询律师 法律援助",
    ),
    Concept(
        ("劳动争议", "劳动法", "劳动纠纷", "劳动权益", "labour", "labor", "欠薪"),
        "老板 公司 工地 包工头 老板跑路 拖欠 欠薪 讨薪 工资 发工资 扣工资 "
        "克扣 工钱 血汗钱 加班 加班费 调休 年假 年休假 病假 产假 婚假 辞退 开除 解雇 裁员 炒鱿鱼 "
        "被辞 离职 辞职 补偿 经济补偿 赔偿金 n+1 双倍工资 劳动合同 合同 不签合同 试用期 "
        "仲裁 劳动仲裁 劳动监察 社保 五险一金 公积金 工伤 工伤认定 工伤赔偿 伤残鉴定 职业病 "
        "违约金 押金 扣押身份证 降薪 调岗 末位淘汰 劳务派遣 竞业 规章制度 罚款 拖着不给 不给钱 讨说法 "
        "医药费 医疗费 毕业证 身份证 扣证 证件 砸伤 压伤 夹伤 受伤 上班时 搬迁 调动 自动离职 离职证明 "
        "停工 放假不发钱 停薪 不续签 续签",
    ),
    Concept(
        ("婚姻", "家事", "继承", "family law", "family"),
        "离婚 结婚 婚姻 老公 老婆 前妻 前夫 夫妻 婚前 彩礼 嫁妆 出轨 家暴 分居 抚养 "
        "抚养权 抚养费 探视 监护 赡养 遗产 继承 遗嘱 房产 房子 过户 分割 "
        "财产 共同财产 债务 欠债 借钱 户口 领证 复婚 公证 家庭纠纷 兄弟姐妹 分家 彩礼退还 "
        "去世 过世 走了 存款 遗物 房产证 赡养费 收养 私生子 重婚 婆家 娘家 亲戚 借条 "
        "写名字 加名 名下 不让看 探望 隐瞒 婚后 婚前财产 留给 孙子 外孙",
    ),
    Concept(
        ("新就业形态", "平台", "gig", "灵活就业"),
        "骑手 外卖 外卖员 送外卖 跑外卖 美团 饿了么 快递 快递员 快递小哥 派件 丢件 网约车 滴滴 "
        "司机 跑车 货拉拉 代驾 平台 app 算法 派单 接单 抢单 超时 差评 扣款 罚款 罚单 封号 "
        "申诉 站长 站点 配送 众包 专送 保证金 服务分 跑单 主播 网红 直播 灵活就业 零工 "
        "兼职 没签合同 没有社保 意外险 交通事故 撞车 被撞 电动车 单量 抽成 降价",
    ),
    # ---- jobs -----------------------------------------------------------------------------------------
    Concept(
        ("招聘", "岗位", "job", "recruit"),
        "找工作 工作 招工 招人 招聘 应聘 求职 岗位 职位 上班 再就业 就业 失业 待业 没工作 "
        "换工作 换个工作 跳槽 工资高 待遇 包吃住 包住宿 五险一金 普工 操作工 保安 保洁 司机 "
        "仓管 收银员 服务员 文员 厨师 招聘会 人才市场 内推 面试机会 用人单位 企业 招 工厂 "
        "宝妈 兼职 全职 临时工 长期工 夜班 白班 岗位信息 就业信息",
    ),
    Concept(
        ("职业指导", "职业规划", "career", "就业指导"),
        "职业规划 规划 发展 方向 迷茫 转行 转岗 晋升 升职 加薪 简历 写简历 面试 面试技巧 "
        "自我介绍 求职技巧 适合 什么工作 职业 测评 性格 优势 前途 出路 瓶颈 跳槽 选择 "
        "考公 考编 考研 学历 提升学历 证书 就业方向 职场 人际关系 带团队 管理 "
        "往上走 发展空间 没前途 职业发展 管理岗 以后 将来 能干什么 干什么 做什么 一辈子 研究生 "
        "普通员工 主管 组长 竞聘 晋升机会",
    ),
    # ---- thematic lectures ----------------------------------------------------------------------------
    Concept(
        ("主题宣讲", "宣讲", "lecture", "talks"),
        "宣讲 讲座 讲讲 讲一讲 报告 解读 宣传 普及 主题 活动",
    ),
    Concept(
        ("政策", "policy"),
        "政策 新政 规定 条例 文件 补贴 补助 津贴 救助 帮扶 困难职工 慰问 福利 待遇 医保 报销 "
        "社保 养老金 退休 退休金 延迟退休 失业金 失业保险 公积金 个税 个人所得税 专项扣除 "
        "落户 积分入户 入户 居住证 子女入学 学位 租房补贴 人才补贴 技能补贴 工会 会员 会费 "
        "互助保障 大病 住院 权益 法规 怎么申请 能领 能报 领多少 申领 办理 流程 "
        "中考 高考 升学 入学 外地户口 户籍 异地 门诊 公租房 保障房 助学金 疗休养 生育保险 生育津贴",
    ),
    Concept(
        ("工匠", "劳模", "craftsman", "匠心", "model worker"),
        "劳模 劳动模范 工匠 大国工匠 工匠精神 匠心 精益求精 技能大师 大师 榜样 先进 先进事迹 "
        "奋斗 故事 成长经历 传承 敬业 爱岗 钻研 创新 技术创新 革新 发明 工作室 创新工作室 "
        "标兵 五一劳动奖章 技术能手 师带徒 传帮带 干一行爱一行 坚持 初心 精神 学习 正能量 "
        "学习劳模 劳模事迹 事迹 平凡岗位 做出成绩 讲述 分享经验 一线 老师傅 技术攻关 绝活 绝技 "
        "上一课 面对面 吃苦 当年 报告会",
    ),
    # ---- visits & exchanges ---------------------------------------------------------------------------
    Concept(
        ("参观交流", "参观", "交流", "visit", "exchange"),
        "参观 走进 实地 开放日 考察 交流 学习交流 取经 游览 展厅 展馆 博物馆 基地",
    ),
    Concept(
        ("企业参观", "company visit", "企业"),
        "参观 企业 工厂 车间 生产线 流水线 厂房 总部 大厂 名企 标杆 华为 腾讯 比亚迪 大疆 顺丰 "
        "中兴 富士康 迈瑞 汽车厂 新能源 无人机 实验室 展厅 开放日 物流 仓储 港口 机场 地铁 "
        "电视台 报社 团建 怎么生产 怎么造 装配 组装 制造 水厂 电厂 自来水厂 科技园 园区",
    ),
    Concept(
        ("夏令营", "冬令营", "研学", "camp"),
        "夏令营 冬令营 营 研学 研学游 暑假 寒假 放假 假期 暑期 托管 带娃 孩子 娃 小孩 子女 "
        "露营 户外 野外 徒步 拓展 军训 体验 农场 种菜 农活 劳动教育 足球 篮球 游泳 运动 科学营 "
        "科技营 艺术 画画 集体生活 独立 没人带 双职工 营地 骑马 自理 自然 大自然 "
        "全天 整个暑假 送去 锻炼 部队 夏天 活动营",
    ),
)


@cache
def _anchor(anchor: str) -> re.Pattern:
    # a Latin anchor is a word ("ai" is not in "first aid"), a Chinese one any part of the name
    if not anchor.isascii():
        return re.compile(re.escape(anchor))
    return re.compile(rf"\b{re.escape(anchor)}" + (r"\b" if len(anchor) < 4 else ""))  # "psycholog…" a prefix


def matches(concept: Concept, names: list[str]) -> bool:
    """Whether the concept describes a category with these names (Chinese, English)."""
    lowered = [name.lower() for name in names if name]
    return any(_anchor(anchor).search(name) for anchor in concept.anchors for name in lowered)


def words_for(names: list[str]) -> list[str]:
    """The colloquial word lists of every concept a category with these names has."""
    return [concept.words for concept in CONCEPTS if matches(concept, names)]


def all_words() -> set[str]:
    """Every listed word (the segmenter keeps them whole, and keeps the one-character ones)."""
    return {word for concept in CONCEPTS for word in concept.words.split()}
