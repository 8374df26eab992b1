"""Demo customers: ~30 realistic Chinese companies with contacts and documents."""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from .models import Contact, Customer, QualificationDocument
from .services import next_dossier_number, pinyin_initials
from .validators import CODE_CHARSET, credit_code_check_character

COMPANIES = [
    ("上海华东精细化工有限公司", "C26", "上海市浦东新区张江路88号"),
    ("江苏恒润塑料制品有限公司", "C29", "江苏省苏州市工业园区星湖街128号"),
    ("浙江新达涂料股份有限公司", "C26", "浙江省杭州市萧山区鸿达路66号"),
    ("安徽宏远建材有限公司", "C30", "安徽省合肥市经开区繁华大道9号"),
    ("山东鲁信橡胶有限公司", "C29", "山东省青岛市黄岛区长江西路17号"),
    ("广州南方日化有限公司", "C26", "广东省广州市黄埔区科学大道201号"),
    ("天津渤海油墨有限公司", "C26", "天津市滨海新区黄海路56号"),
    ("武汉长江包装材料有限公司", "C22", "湖北省武汉市东西湖区金山大道300号"),
    ("成都蜀锦纺织印染有限公司", "C17", "四川省成都市郫都区港通北路18号"),
    ("宁波海天胶粘剂有限公司", "C26", "浙江省宁波市北仑区明州路500号"),
    ("南京金陵汽车零部件有限公司", "C36", "江苏省南京市江宁区将军大道159号"),
    ("福建闽兴鞋材有限公司", "C19", "福建省泉州市晋江市世纪大道22号"),
    ("河北冀中管业有限公司", "C33", "河北省石家庄市高新区湘江道8号"),
    ("重庆渝丰电子材料有限公司", "C39", "重庆市璧山区璧青路77号"),
    ("上海申通电缆有限公司", "C38", "上海市嘉定区叶城路1288号"),
    ("苏州吴中家具制造有限公司", "C21", "江苏省苏州市吴中区东吴南路45号"),
    ("青岛海湾防腐工程有限公司", "E50", "山东省青岛市城阳区正阳路188号"),
    ("深圳鹏城新能源材料有限公司", "C38", "广东省深圳市坪山区锦绣中路14号"),
    ("无锡太湖纸业有限公司", "C22", "江苏省无锡市新吴区长江路35号"),
    ("常州龙城复合材料有限公司", "C29", "江苏省常州市武进区常武中路18号"),
    ("郑州中原陶瓷有限公司", "C30", "河南省郑州市航空港区郑港四路6号"),
    ("长沙湘江颜料化工有限公司", "C26", "湖南省长沙市望城区雷锋大道999号"),
    ("嘉兴禾兴皮革有限公司", "C19", "浙江省嘉兴市秀洲区康和路1号"),
    ("佛山顺德家电配件有限公司", "C38", "广东省佛山市顺德区容桂大道南38号"),
    ("厦门鹭岛电子化学品有限公司", "C26", "福建省厦门市海沧区角嵩路99号"),
    ("大连北方船舶涂装有限公司", "C37", "辽宁省大连市甘井子区营城子路7号"),
    ("合肥庐州汽车内饰有限公司", "C36", "安徽省合肥市包河区花园大道21号"),
    ("温州瓯江阀门有限公司", "C34", "浙江省温州市龙湾区永强大道2888号"),
    ("绍兴越城印染助剂有限公司", "C26", "浙江省绍兴市越城区袍江中路108号"),
    ("昆山玉山精密模具有限公司", "C35", "江苏省昆山市玉山镇前进西路300号"),
]
REPRESENTATIVES = ["张伟", "王芳", "李强", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周涛", "吴霞"]

# A minimal valid PDF, so demo documents download as real files.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
    b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def make_credit_code(rng: random.Random) -> str:
    body = "91" + "310115" + "".join(rng.choice(CODE_CHARSET) for _ in range(9))
    return body + credit_code_check_character(body)


def seed_customers(stdout=None, rng: random.Random | None = None) -> None:
    rng = rng or random.Random(20261124)
    User = get_user_model()
    salespeople = list(User.objects.filter(groups__name="sales").order_by("username"))
    credit_user = User.objects.filter(groups__name="credit_team").first()
    today = timezone.localdate()
    for index, (name, industry, address) in enumerate(COMPANIES, start=1):
        erp_code = f"C{10000 + index}"
        if Customer.objects.filter(erp_code=erp_code).exists():
            continue
        established = today.replace(year=today.year - rng.randint(1, 25)) - dt.timedelta(
            days=rng.randint(0, 300)
        )
        capital = Decimal(rng.choice([500, 1000, 2000, 5000, 8000, 10000, 30000])) * 10000
        assets = capital * Decimal(rng.choice(["1.5", "2", "3", "5", "8", "12"]))
        customer = Customer.objects.create(
            erp_code=erp_code,
            name=name,
            pinyin_initials=pinyin_initials(name),
            credit_code=make_credit_code(rng),
            registered_address=address,
            operating_address=address if rng.random() < 0.8 else "",
            established_on=established,
            registered_capital=capital,
            total_assets=assets,
            legal_representative=rng.choice(REPRESENTATIVES),
            industry=industry,
            preferred_language="en" if index % 10 == 0 else "zh-hans",
            salesperson=salespeople[index % len(salespeople)],
            dossier_number=next_dossier_number(),
            first_trade_on=today - dt.timedelta(days=rng.randint(30, 2000)),
            created_by=credit_user,
        )
        Contact.objects.create(
            customer=customer,
            name=rng.choice(REPRESENTATIVES),
            title="财务经理",
            email=f"finance@{erp_code.lower()}.example.cn",
            phone=f"021-{rng.randint(50000000, 69999999)}",
        )
        kinds = list(QualificationDocument.Kind)[: rng.randint(3, 7)]
        for kind in kinds:
            issued = today - dt.timedelta(days=rng.randint(30, 900))
            expires = issued + dt.timedelta(days=rng.choice([365, 730, 1095]))
            document = QualificationDocument(
                customer=customer,
                kind=kind,
                issued_on=issued,
                expires_on=expires,
                uploaded_by=customer.salesperson,
            )
            document.file.save(f"{kind}.pdf", ContentFile(DEMO_PDF), save=False)
            document.save()
    if stdout:
        stdout.write(f"  customers: {Customer.objects.count()}")
