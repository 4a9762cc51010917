"""The words of the one-to-one messages residents receive: verification and sign-in, by email and by text."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, content type, bytes)


@dataclass(frozen=True)
class RenderedSms:
    text: str


SERVICE_NAME = "Hexwatch community alerts"


def link(base_url: str, page: str, **params: str) -> str:
    address = f"{base_url.rstrip('/')}/{page}"
    return f"{address}?{urlencode(params)}" if params else address


def _html_page(title: str, paragraphs: list[str], action_url: str, action_label: str) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f'<body style="font-family:Arial,sans-serif;color:#0b0c0c;max-width:38em">'
        f"<h1 style=\"font-size:1.4em\">{html.escape(title)}</h1>{body}"
        f'<p><a href="{html.escape(action_url)}" style="display:inline-block;padding:.6em 1em;background:#00703c;'
        f'color:#fff;text-decoration:none">{html.escape(action_label)}</a></p>'
        f'<p style="font-size:.9em">If the button does not work, copy this address into your browser:<br>'
        f"{html.escape(action_url)}</p>"
        f'<p style="font-size:.9em">If you did not ask for this, you can ignore this email.</p></body></html>'
    )


def _link_email(title: str, paragraphs: list[str], url: str, action: str, text_action: str,
                ignore: str) -> RenderedEmail:
    """An email whose point is one link: the same words in the text part and the HTML part."""
    text = "\n\n".join([title, *paragraphs, f"{text_action}: {url}", ignore])
    return RenderedEmail(f"{title} - {SERVICE_NAME}", text, _html_page(title, paragraphs, url, action))


def verification_email(site_url: str, token: str) -> RenderedEmail:
    return _link_email(
        "Confirm your email address",
        ["Thank you for signing up to community alerts from your local police.",
         "Please confirm your email address so that we can send you alerts. The link works for 48 hours."],
        link(site_url, "verify.html", token=token), "Confirm my email", "Confirm",
        "If you did not sign up, ignore this email.")


def signin_email(site_url: str, token: str) -> RenderedEmail:
    return _link_email(
        "Sign in to manage your alerts",
        ["Someone, probably you, asked to sign in or signed up again with this email address.",
         "Use this link within 15 minutes to manage your alerts, change your details or leave."],
        link(site_url, "signin.html", token=token), "Sign in", "Sign in", "If this was not you, ignore this email.")


def verification_sms(code: str) -> RenderedSms:
    return RenderedSms(f"Your community alerts code is {code}. It expires in 15 minutes. "
                       "If you did not sign up, ignore this message.")


def signin_sms(code: str) -> RenderedSms:
    return RenderedSms(f"Your community alerts sign-in code is {code}. It expires in 15 minutes.")


def code_call(code: str, purpose: str) -> str:
    """The SSML a call to a landline reads: the 6-digit code digit by digit, slowly, twice. `purpose` is "confirm"
    (a signup) or "sign in"."""
    if not (len(code) == 6 and code.isdigit()):
        raise ValueError("a code is six digits")
    said = f'<prosody rate="slow"><say-as interpret-as="digits">{code}</say-as></prosody>'
    why = "to confirm this phone number" if purpose == "confirm" else "to sign in to your community alerts account"
    return ("<speak>Hello. This is community alerts, with the code you asked for " + why + "."
            f'<break time="700ms"/>Your code is {said}.<break time="1s"/>'
            f'Again, your code is {said}.<break time="700ms"/>'
            "It expires in 15 minutes. If you did not ask for it, you can ignore this call. Goodbye.</speak>")


def code_call_text(ssml: str) -> str:
    """What a code call says, as plain text (the local outbox shows it): the SSML without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", ssml)).replace(" .", ".").strip()


def unsubscribe_headers(api_url: str, token: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` to this URL."""
    return {
        "List-Unsubscribe": f"<{link(api_url, 'v1/unsubscribe', token=token)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def welcome_email(site_url: str, api_url: str, token: str) -> RenderedEmail:
    manage = link(site_url, "signin.html")
    unsubscribe = link(site_url, "unsubscribe.html", token=token)
    title = "You are signed up for community alerts"
    paragraphs = [
        "Your email address is confirmed. You will now receive alerts for the places and topics you chose.",
        f"To change your places, topics or language, sign in at {manage}",
        "Your details are used by the police for policing purposes only.",
    ]
    text = "\n\n".join([title, *paragraphs, f"Unsubscribe: {unsubscribe}"])
    body = _html_page(title, paragraphs, manage, "Manage my alerts").replace(
        "</body>", f'<p style="font-size:.9em"><a href="{html.escape(unsubscribe)}">Unsubscribe</a></p></body>')
    return RenderedEmail(f"{title} - {SERVICE_NAME}", text, body, unsubscribe_headers(api_url, token))
