"""Buddy alerts: who, since when on the table, and the last check-in; retried with backoff, every attempt reported."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator


class BuddyContact(BaseModel):
    """Stored in the profile. `kind` says how to reach the buddy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["webhook", "ntfy", "email"]
    url: str | None = None
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str = ""

    @model_validator(mode="after")
    def _has_address(self) -> BuddyContact:
        if self.kind in ("webhook", "ntfy") and not (self.url and self.url.startswith(("http://", "https://"))):
            raise ValueError(f"a {self.kind} buddy needs an http(s) URL")
        if self.kind == "email" and not self.email:
            raise ValueError("an email buddy needs an email address")
        return self


class SmtpSettings(BaseModel):
    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = None
    sender: str = "hangtime@localhost"
    starttls: bool = False


@dataclass(frozen=True)
class BuddyAlert:
    person: str
    kind: Literal["alert", "all_clear", "test"]
    on_table_since: str  # wall-clock time, ISO 8601
    last_checkin: str | None
    phase: str
    session_id: int | None = None

    def subject(self) -> str:
        if self.kind == "test":
            return f"Hangtime: a test alert from {self.person} (no action needed)"
        if self.kind == "all_clear":
            return f"Hangtime: {self.person} has answered and is all right"
        return f"Hangtime: {self.person} is not answering during an inversion session"

    def body(self) -> str:
        if self.kind == "test":
            return (
                f"{self.person} is checking that Hangtime can reach you. If they stop answering check-ins while"
                " inverted, an alert like this one will ask you to check on them. No action needed now."
            )
        if self.kind == "all_clear":
            return f"{self.person} answered the check-in. No action needed."
        last = self.last_checkin or "never during this session"
        return (
            f"{self.person} has not answered check-ins on their inversion table.\n"
            f"On the table since: {self.on_table_since}\nLast check-in answered: {last}\n"
            f"Phase: {self.phase}\nPlease check on them now: they may be inverted and unable to get up."
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "event": f"hangtime.buddy.{self.kind}",
            "person": self.person,
            "on_table_since": self.on_table_since,
            "last_checkin": self.last_checkin,
            "phase": self.phase,
            "session_id": self.session_id,
            "message": self.body(),
        }


Attempt = dict[str, Any]


async def _send_once(contact: BuddyContact, alert: BuddyAlert, smtp: SmtpSettings, timeout: float) -> None:
    if contact.kind == "webhook":
        assert contact.url is not None
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(contact.url, json=alert.as_json())
            response.raise_for_status()
    elif contact.kind == "ntfy":
        assert contact.url is not None
        headers = {
            "Title": alert.subject(),
            "Priority": "urgent" if alert.kind == "alert" else "default",
            "Tags": "warning",
        }
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(contact.url, content=alert.body().encode(), headers=headers)
            response.raise_for_status()
    else:
        assert contact.email is not None
        await send_email(smtp, contact.email, alert.subject(), alert.body(), timeout)


async def send_email(smtp: SmtpSettings, to: str, subject: str, body: str, timeout: float = 10.0) -> None:
    """One plain-text email through the configured SMTP server (raises OSError or SMTPException on failure)."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    await asyncio.to_thread(_smtp_send, smtp, message, timeout)


def _smtp_send(smtp: SmtpSettings, message: EmailMessage, timeout: float) -> None:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username and smtp.password:
            client.login(smtp.username, smtp.password)
        client.send_message(message)


async def send_with_retries(
    contact: BuddyContact,
    alert: BuddyAlert,
    smtp: SmtpSettings,
    report: Callable[[Attempt], None],
    attempts: int = 5,
    first_delay_s: float = 1.0,
    timeout_s: float = 10.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bool:
    """Try up to `attempts` times, doubling the wait each time; `report` hears about every attempt."""
    delay = first_delay_s
    for number in range(1, attempts + 1):
        try:
            await _send_once(contact, alert, smtp, timeout_s)
        except (httpx.HTTPError, OSError, smtplib.SMTPException) as exc:
            report({"attempt": number, "ok": False, "channel": contact.kind, "error": f"{type(exc).__name__}: {exc}"})
            if number < attempts:
                await sleep(delay)
                delay *= 2
            continue
        report({"attempt": number, "ok": True, "channel": contact.kind})
        return True
    return False
