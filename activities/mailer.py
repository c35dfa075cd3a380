"""One SMTP connection for the e-mails of one activity: a transition's notices go out over the connection the
first of them opened, instead of a connect, greeting and quit per message. A message that fails drops the
connection, so the next one opens a fresh one and a broken session never carries over. A mail written as bytes
goes as it is to a server that takes 8bit (8BITMIME); to any other, the EmailMessage is flattened to 7bit."""

from __future__ import annotations

from types import TracebackType

import aiosmtplib

from activities.mail_message import OutgoingMail
from domain.settings import get_settings


class Mailer:
    """Use as `async with Mailer() as mailer: await mailer.send(message)`; connects at the first send."""

    def __init__(self) -> None:
        self._smtp: aiosmtplib.SMTP | None = None

    async def send(self, mail: OutgoingMail) -> None:
        try:
            smtp = await self._connected()
            if mail.data is not None and smtp.supports_extension("8bitmime"):
                await smtp.sendmail(mail.sender, [mail.recipient], mail.data, mail_options=["BODY=8BITMIME"])
            else:
                await smtp.send_message(mail.message())
        except Exception:
            self._drop()
            raise

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._smtp is None:
            settings = get_settings()
            smtp = aiosmtplib.SMTP(hostname=settings.smtp_host, port=settings.smtp_port,
                                   username=settings.smtp_username, password=settings.smtp_password,
                                   start_tls=settings.smtp_starttls, timeout=30)
            await smtp.connect()
            if smtp.is_ehlo_or_helo_needed:  # the server's extensions decide how the mail goes
                try:
                    await smtp.ehlo()
                except aiosmtplib.SMTPHeloError:  # an old server: no extensions, so no 8bit
                    await smtp.helo()
            self._smtp = smtp
        return self._smtp

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    async def __aenter__(self) -> Mailer:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            await smtp.quit()
        except Exception:  # noqa: BLE001 — the messages were accepted: a failed goodbye changes nothing
            smtp.close()
