"""An example needs questionnaire (需求调研), generated the same way every time.

Several thousand respondents — couriers, riders, migrant workers, dual-earner parents and others across
Nanshan's streets — say in their own words what they would like the union to offer. The columns are
what a real questionnaire tool exports: a submission time, the respondent's name and phone (which an
import never keeps), group, street, workplace, age band, the free-text need, preferred mode and times,
and a remark. About one row in a hundred has no need written (a real file has those too).

    python -m seeds.survey needs.csv [--rows 6000] [--xlsx]
"""

import csv
import io
import random
import sys
from datetime import datetime, timedelta

HEADERS = [
    "序号",
    "提交时间",
    "姓名",
    "手机号码",
    "您属于以下哪类群体",
    "所在街道",
    "工作单位",
    "年龄段",
    "您最希望工会提供哪方面的服务？（请具体描述）",
    "希望的服务方式",
    "方便参加的时间段",
    "其他建议",
]
ROWS = 6000
SEED = 20261129

# (weight, [phrases]) per kind of need: weights make some gaps large (labour disputes, childcare, health).
NEEDS: list[tuple[int, list[str]]] = [
    (
        14,
        [
            "老板拖欠工资好几个月了不知道怎么要回来",
            "公司不给交社保，想咨询一下怎么维权",
            "加班费一直不给算，想问问劳动法怎么规定的",
            "被辞退了没有给补偿金，想找律师咨询",
            "没签劳动合同，工伤了公司不认",
            "干活时摔伤了腿，工伤认定怎么申请",
            "试用期被无故解除合同，想了解能不能仲裁",
        ],
    ),
    (
        9,
        [
            "平台把我的单子罚款扣钱，不知道找谁说理",
            "送外卖出了事故，平台说我不是员工不管",
            "跑网约车的社保怎么交比较划算",
            "骑手的职业伤害保障怎么申请",
            "接单被系统限流了，想了解平台规则和我们的权益",
        ],
    ),
    (4, ["离婚后孩子抚养费对方不给", "老家房子继承的问题想咨询律师", "婚前买的房子怎么算财产"]),
    (
        12,
        [
            "双职工下班晚，孩子放学没人接，希望有托管班",
            "暑假孩子没人带，想报个夏令营",
            "想带孩子参加亲子阅读活动",
            "孩子在家只会玩手机，希望有亲子活动",
            "周末想带孩子去参观科技馆或者企业",
            "孩子的家庭作业辅导不过来，希望有人帮忙",
        ],
    ),
    (7, ["想学点编程，给孩子报个少儿编程班", "孩子对机器人感兴趣，想学Scratch编程", "孩子想学Python，有没有周末课"]),
    (6, ["想练练毛笔字，静静心", "孩子写字太丑了，想学硬笔书法", "退休了想学书法"]),
    (
        10,
        [
            "想考个电工证，有没有免费培训",
            "想学焊接技术多挣点钱",
            "希望有叉车证培训",
            "想学数控机床操作，换个好点的工作",
            "希望学点电脑办公技能，Excel都不会用",
        ],
    ),
    (
        9,
        [
            "长期送快递腰不好，想找中医推拿一下",
            "颈椎病犯了，想做针灸理疗",
            "经常头晕想免费体检一下",
            "血压有点高，希望有医生讲讲慢病管理",
            "一年没体检了，希望工会组织体检",
        ],
    ),
    (
        8,
        [
            "工作压力大晚上睡不着，想找心理咨询师聊聊",
            "跟家里人经常吵架，情绪不好",
            "在外地打工很孤独，想有人说说话",
            "孩子叛逆不听话，想咨询心理老师",
        ],
    ),
    (5, ["想学急救，路上遇到人晕倒不知道怎么办", "希望学心肺复苏和AED的使用", "骑车经常摔伤，想学点包扎急救"]),
    (
        7,
        [
            "想换个工作，希望有招聘会",
            "快四十岁了找工作难，希望推荐岗位",
            "不会写简历，想找人指导一下面试",
            "想了解哪些岗位适合我们农民工",
        ],
    ),
    (4, ["想学大数据分析，转行做数据", "对人工智能感兴趣，想听听讲座", "公司有个发明想申请专利不知道怎么弄"]),
    (3, ["想听听最新的工会政策解读", "希望有人讲讲住房公积金和落户政策", "想听劳模讲讲他们的故事"]),
    (3, ["想去物流企业参观一下学习学习", "希望组织参观智能制造工厂"]),
]
PREFIXES = ["", "", "希望", "我想", "能不能", "最需要的是", "说实话，", "工会能不能帮忙，"]
SUFFIXES = ["", "", "", "，谢谢！", "，最好是免费的", "，离家近一点", "。", "，越快越好", "，希望能多办几次"]
GROUPS = [
    (30, "新就业形态劳动者（快递员、外卖骑手、网约车司机等）"),
    (26, "农民工/外来务工人员"),
    (22, "双职工家庭"),
    (10, "青年职工"),
    (7, "女职工"),
    (5, "其他"),
]
STREETS = ["南头街道", "南山街道", "沙河街道", "蛇口街道", "招商街道", "粤海街道", "桃源街道", "西丽街道"]
WORKPLACES = ["某快递公司南山站", "外卖配送站", "科技园某公司", "建筑工地", "物流园", "商场", "电子厂", "小区物业"]
AGES = ["18-24岁", "25-34岁", "35-44岁", "45-54岁", "55岁以上"]
MODES = ["线下", "线上", "线上线下都可以", "线下", ""]
TIMES = ["工作日晚上", "周末白天", "周末晚上", "工作日中午", "随时都行", "节假日"]
REMARKS = ["", "", "", "希望活动多一些", "工会辛苦了", "通知早一点发", "希望能在驿站办"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰飞鹏辉斌宇浩凯"


def _pick(rng: random.Random, weighted: list[tuple[int, object]]):
    return rng.choices([v for _, v in weighted], weights=[w for w, _ in weighted])[0]


def rows(n: int = ROWS, seed: int = SEED) -> list[list[str]]:
    rng = random.Random(seed)
    start = datetime(2026, 6, 1, 8, 0)
    out = []
    for i in range(1, n + 1):
        phrases = _pick(rng, NEEDS)
        need = rng.choice(PREFIXES) + rng.choice(phrases) + rng.choice(SUFFIXES)
        if rng.random() < 0.2:  # some say two things
            need += "；另外" + rng.choice(_pick(rng, NEEDS))
        if rng.random() < 0.01:
            need = ""  # a respondent who skipped the question: reported as a bad row
        when = start + timedelta(minutes=int(rng.random() * 60 * 24 * 150))
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        out.append(
            [
                str(i),
                when.strftime("%Y-%m-%d %H:%M:%S"),
                name,
                phone,
                _pick(rng, GROUPS),
                rng.choice(STREETS),
                rng.choice(WORKPLACES),
                rng.choice(AGES),
                need,
                rng.choice(MODES),
                rng.choice(TIMES),
                rng.choice(REMARKS),
            ]
        )
    return out


def csv_bytes(n: int = ROWS, seed: int = SEED) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows(n, seed))
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(n: int = ROWS, seed: int = SEED) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("问卷")
    sheet.append(HEADERS)
    for row in rows(n, seed):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main(argv: list[str]) -> None:
    path = argv[0] if argv else "needs-survey.csv"
    n = int(argv[argv.index("--rows") + 1]) if "--rows" in argv else ROWS
    data = xlsx_bytes(n) if "--xlsx" in argv or path.endswith(".xlsx") else csv_bytes(n)
    with open(path, "wb") as out:
        out.write(data)
    print(f"{path}: {n} rows, {len(data):,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
