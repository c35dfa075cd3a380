"""`chengxin` command line: accounts, departments, calendar overrides, migrations, the dev server."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime

from pydantic import ValidationError
from sqlmodel import select

from activities.db import migrate, session_scope
from activities.models import Department, User
from api.auth import ROLES, hash_password
from api.problems import Problem


def _user_add(args: argparse.Namespace) -> int:
    if args.role == "department" and not args.department:
        print("错误：department 角色须指定 --department", file=sys.stderr)
        return 2
    with session_scope() as session:
        if args.department and session.get(Department, args.department) is None:
            print(f"错误：单位 {args.department} 不存在", file=sys.stderr)
            return 2
        if session.exec(select(User).where(User.username == args.name)).first():
            print(f"错误：用户 {args.name} 已存在", file=sys.stderr)
            return 2
        session.add(User(username=args.name, password_hash=hash_password(args.password), role=args.role,
                         department_code=args.department, email=args.email))
    print(f"已添加用户 {args.name}（{args.role}）")
    return 0


def _department_add(args: argparse.Namespace) -> int:
    from api.routes.system import DepartmentIn, create_department

    try:
        body = DepartmentIn(code=args.code, name=args.name, email=args.email, supervisor_email=args.supervisor_email)
    except ValidationError as err:
        for e in err.errors():
            print(f"错误：{'.'.join(map(str, e['loc']))}：{e['msg']}", file=sys.stderr)
        return 2
    from sqlmodel import Session

    from activities.db import get_engine

    with Session(get_engine()) as session:
        try:
            create_department(session, body)
        except Problem as p:
            print(f"错误：{p.detail}", file=sys.stderr)
            return 2
    print(f"已添加单位 {args.code} {args.name}")
    return 0


def _calendar_add(args: argparse.Namespace) -> int:
    from activities.calendar_store import add_override, confirm_year

    if not args.reason.strip():
        print("错误：须用 --reason 说明理由", file=sys.stderr)
        return 2
    with session_scope() as session:
        if args.kind == "year_confirmed":
            version = confirm_year(session, args.date.year, args.reason, args.by, datetime.now(UTC))
        else:
            version = add_override(session, args.date, args.kind == "workday", args.reason, args.by,
                                   datetime.now(UTC))
        version_id = version.id
    labels = {"workday": "调休上班", "holiday": "放假", "year_confirmed": f"{args.date.year}年放假安排已全部录入"}
    what = labels[args.kind]
    print(f"已创建日历版本 {version_id}：{args.date} {what}（{args.reason}）")
    try:
        n = asyncio.run(_reproject())
        print(f"已通知 {n} 个未结案件重新计算时限")
    except Exception as exc:  # the engine may be down; cases pick the version up at their next projection
        print(f"提示：未能连接流程引擎（{exc}）；新版本已保存，未到期时限尚未重新计算。"
              "引擎恢复后请运行 chengxin calendar reproject。", file=sys.stderr)
    return 0


def _calendar_reproject(_args: argparse.Namespace) -> int:
    n = asyncio.run(_reproject())
    print(f"已通知 {n} 个未结案件按最新日历版本重新计算时限")
    return 0


async def _reproject() -> int:
    from sqlmodel import Session

    from activities.db import get_engine
    from activities.worker import connect_client
    from api.routes.calendar import reproject_open_cases

    client = await connect_client()
    with Session(get_engine()) as session:
        return await reproject_open_cases(session, client)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chengxin", description="诚信 Chengxin 管理命令")
    sub = parser.add_subparsers(dest="group", required=True)

    user = sub.add_parser("user", help="账号").add_subparsers(dest="cmd", required=True)
    ua = user.add_parser("add", help="添加账号")
    ua.add_argument("name")
    ua.add_argument("--role", required=True, choices=ROLES)
    ua.add_argument("--department")
    ua.add_argument("--password", required=True)
    ua.add_argument("--email")
    ua.set_defaults(func=_user_add)

    dept = sub.add_parser("department", help="单位").add_subparsers(dest="cmd", required=True)
    da = dept.add_parser("add", help="添加单位")
    da.add_argument("code")
    da.add_argument("--name", required=True)
    da.add_argument("--email", required=True)
    da.add_argument("--supervisor-email")
    da.set_defaults(func=_department_add)

    cal = sub.add_parser("calendar", help="工作日历").add_subparsers(dest="cmd", required=True)
    ca = cal.add_parser("add", help="录入放假或调休上班日期（新建日历版本）")
    ca.add_argument("date", type=date.fromisoformat)
    ca.add_argument("kind", choices=["holiday", "workday", "year_confirmed"])
    ca.add_argument("--reason", required=True)
    ca.add_argument("--by", default="cli")
    ca.set_defaults(func=_calendar_add)

    cr = cal.add_parser("reproject", help="通知所有未结案件按最新日历版本重新计算时限")
    cr.set_defaults(func=_calendar_reproject)

    mig = sub.add_parser("migrate", help="数据库迁移到最新版本")
    mig.set_defaults(func=lambda _a: (migrate(), 0)[1])

    run = sub.add_parser("run", help="启动嵌入式开发环境（同 make run）")
    run.set_defaults(func=lambda _a: __import__("api.devserver", fromlist=["main"]).main())

    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
