"""`chengxin` command line: accounts, departments, calendar overrides and notices, migrations, the dev server."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime

from pydantic import ValidationError

from api.accounts import DepartmentIn, UserIn, create_department, create_user
from api.auth import ROLES
from api.problems import Problem, message_zh
from store.db import migrate, session_scope


def _migrate(_args: argparse.Namespace) -> int:
    migrate()
    return 0


def _print_errors(err: ValidationError | Problem) -> int:
    if isinstance(err, Problem):
        problems: list[dict[str, str]] = err.errors or [{"field": "", "message": err.detail}]
        for e in problems:
            print(f"错误：{e['field']}：{e['message']}" if e["field"] else f"错误：{e['message']}", file=sys.stderr)
    else:
        for detail in err.errors():
            print(f"错误：{'.'.join(map(str, detail['loc']))}：{message_zh(dict(detail))}", file=sys.stderr)
    return 2


def _user_add(args: argparse.Namespace) -> int:
    try:
        body = UserIn(username=args.name, password=args.password, role=args.role, department=args.department,
                      email=args.email)
        with session_scope() as session:
            create_user(session, body, "cli", "admin")
    except (ValidationError, Problem) as err:
        return _print_errors(err)
    print(f"已添加用户 {args.name}（{args.role}）")
    return 0


def _department_add(args: argparse.Namespace) -> int:
    try:
        body = DepartmentIn(code=args.code, name=args.name, email=args.email, supervisor_email=args.supervisor_email,
                            profile=args.profile)
        with session_scope() as session:
            create_department(session, body, "cli", "admin")
    except (ValidationError, Problem) as err:
        return _print_errors(err)
    print(f"已添加单位 {args.code} {args.name}")
    return 0


def _calendar_add(args: argparse.Namespace) -> int:
    from store.calendars import add_override, confirm_year

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
    return _start_reprojection()


def _calendar_import(args: argparse.Namespace) -> int:
    """A State Council holiday notice from a file: show what was read, then save it as one version (unless
    --dry-run) and start its re-projection."""
    from pathlib import Path

    from api.notice_import import festivals, preview, save
    from domain.holiday_notice import parse_notice

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        print(f"错误：无法读取文件 {args.file}（{err}）", file=sys.stderr)
        return 2
    notice = parse_notice(text)
    if notice.citation:
        print(f"通知：{notice.citation}")
    for f in festivals(notice):
        print(f"{f.festival}：放假 {'；'.join(f.holidays) or '无'}；调休上班 {'、'.join(f.workdays) or '无'}")
    for problem in notice.problems:
        print(f"未能识别：第 {problem.line} 行“{problem.text}”——{problem.reason}", file=sys.stderr)
    if notice.errors():
        for e in notice.errors():
            print(f"错误：{e}", file=sys.stderr)
        print("未导入：请核对通知原文后重试", file=sys.stderr)
        return 2
    with session_scope() as session:
        if args.dry_run:
            print(preview(session, text)["message"] + "（仅预览，未保存）")
            return 0
        version, affected = save(session, notice, args.by)
        version_id = version.id
    print(f"已创建日历版本 {version_id}：{notice.citation}，{notice.year}年放假安排已全部录入"
          f"（放假 {sum(not d.working for d in notice.days)} 天，调休上班 {sum(d.working for d in notice.days)} 天）；"
          f"影响 {affected} 个未到期时限")
    return _start_reprojection()


def _start_reprojection() -> int:
    try:
        print(f"已开始重新计算未到期时限（{asyncio.run(_reproject())}）")
    except Exception as exc:  # the engine may be down; cases pick the version up at their next projection
        print(f"提示：未能连接流程引擎（{exc}）；新版本已保存，未到期时限尚未重新计算。"
              "引擎恢复后请运行 chengxin calendar reproject。", file=sys.stderr)
    return 0


def _calendar_reproject(_args: argparse.Namespace) -> int:
    print(f"已开始按最新日历版本重新计算未到期时限（{asyncio.run(_reproject())}）")
    return 0


async def _reproject() -> str:
    from activities.worker import connect_client
    from api.routes.calendar import start_reprojection
    from store.calendars import latest_version
    from store.db import session_scope

    with session_scope() as session:
        version = latest_version(session)
    return await start_reprojection(await connect_client(), version)


def _report(args: argparse.Namespace) -> int:
    """The quarterly report of any period, as the e-mail's HTML and the CSV, written to --out."""
    from pathlib import Path

    from activities.report import department_report, report_csv, report_html
    from domain.report import parse_period

    try:
        period = parse_period(args.period)
    except ValueError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 2
    with session_scope() as session:
        report = department_report(session, period)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"report-{period.key}.html").write_text(report_html(report), encoding="utf-8")
    (out / f"report-{period.key}.csv").write_bytes(report_csv(report))
    print(f"已生成 {period.label_zh}监测报告：{out / f'report-{period.key}.html'}、{out / f'report-{period.key}.csv'}")
    return 0


def _audit_verify(_args: argparse.Namespace) -> int:
    """Re-compute every case's chain and every checkpoint; exit 1 naming the first broken link."""
    from store.audit_chain import verify

    with session_scope() as session:
        result = verify(session)
    if not result.broken:
        print(f"审计链完整：{result.rows} 条记录，{result.checkpoints} 个检查点")
        return 0
    print(f"审计链损坏：第一处在{result.broken[0].zh()}", file=sys.stderr)
    for other in result.broken[1:20]:
        print(f"另有：{other.zh()}", file=sys.stderr)
    print(f"共发现 {len(result.broken)} 处问题（已检查 {result.rows} 条记录，{result.checkpoints} 个检查点）",
          file=sys.stderr)
    return 1


def _audit_checkpoint(args: argparse.Namespace) -> int:
    """The daily checkpoint by hand (the schedule writes it at 00:10 Beijing time): idempotent per day."""
    from store.audit_chain import write_checkpoint

    with session_scope() as session:
        cp = write_checkpoint(session, args.day, datetime.now(UTC))
    print(f"检查点 {cp.day}：覆盖 {cp.count} 条记录，校验值 {cp.hash}")
    return 0


def _keys_rotate(_args: argparse.Namespace) -> int:
    from store.signing import rotate

    with session_scope() as session:
        key = rotate(session, datetime.now(UTC))
    print(f"已启用新签名密钥 {key.key_id}；旧公钥仍在 /open-data/keys.json 中列出（已停用）")
    return 0


def _keys_list(_args: argparse.Namespace) -> int:
    from store.signing import public_keys

    with session_scope() as session:
        for k in public_keys(session):
            print(f"{k['key_id']}  {k['status']}  创建于 {k['created_at']}  公钥 {k['public_key']}")
    return 0


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
    da.add_argument("--profile", help="适用规则（domain/profiles/ 下的文件名，如 shanghai）；默认 DEFAULT_PROFILE")
    da.set_defaults(func=_department_add)

    cal = sub.add_parser("calendar", help="工作日历").add_subparsers(dest="cmd", required=True)
    ca = cal.add_parser("add", help="录入放假或调休上班日期（新建日历版本）")
    ca.add_argument("date", type=date.fromisoformat)
    ca.add_argument("kind", choices=["holiday", "workday", "year_confirmed"])
    ca.add_argument("--reason", required=True)
    ca.add_argument("--by", default="cli")
    ca.set_defaults(func=_calendar_add)

    ci = cal.add_parser("import", help="导入国务院办公厅节假日安排通知（全文，含标题；新建一个日历版本）")
    ci.add_argument("file", help="通知全文的文本文件（UTF-8）")
    ci.add_argument("--by", default="cli")
    ci.add_argument("--dry-run", action="store_true", help="只识别并预览，不保存")
    ci.set_defaults(func=_calendar_import)

    cr = cal.add_parser("reproject", help="通知所有未结案件按最新日历版本重新计算时限")
    cr.set_defaults(func=_calendar_reproject)

    rep = sub.add_parser("report", help="生成任一期间的监测报告（HTML 和 CSV）")
    rep.add_argument("period", help="2026Q3、2026-11 或 2026")
    rep.add_argument("--out", default=".", help="输出目录")
    rep.set_defaults(func=_report)

    aud = sub.add_parser("audit", help="审计链").add_subparsers(dest="cmd", required=True)
    av = aud.add_parser("verify", help="重新计算每个案件的审计链和每个检查点，指出第一处损坏")
    av.set_defaults(func=_audit_verify)
    ac = aud.add_parser("checkpoint", help="写入某日的检查点（每日定时任务也会写入；同一日只写一次）")
    ac.add_argument("--day", type=date.fromisoformat, default=datetime.now(UTC).date(), help="日期，默认今天")
    ac.set_defaults(func=_audit_checkpoint)

    keys = sub.add_parser("keys", help="开放数据签名密钥").add_subparsers(dest="cmd", required=True)
    kr = keys.add_parser("rotate", help="生成并启用新密钥，旧密钥停用但公钥继续公布")
    kr.set_defaults(func=_keys_rotate)
    kl = keys.add_parser("list", help="列出全部公钥")
    kl.set_defaults(func=_keys_list)

    mig = sub.add_parser("migrate", help="数据库迁移到最新版本")
    mig.set_defaults(func=_migrate)

    run = sub.add_parser("run", help="启动嵌入式开发环境（同 make run）")
    run.set_defaults(func=lambda _a: __import__("dev.server", fromlist=["main"]).main())

    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
