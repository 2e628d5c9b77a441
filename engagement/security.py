"""Response headers that keep pages from being framed, sniffed, or sent where they shouldn't be."""

from flask import Flask, Response, request

#: Everything from our own origin only; no inline script or style anywhere on the site.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Receipt codes are in addresses: other sites must not learn them from the Referer header.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: Pages about one resident's comment or for staff: never kept in a shared cache.
PRIVATE_PREFIXES = ("/staff", "/receipts")


def _secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    without_language = "/" + "/".join(request.path.split("/")[2:])
    if without_language.startswith(PRIVATE_PREFIXES):
        response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
