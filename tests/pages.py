"""Reading a rendered page as a user reads it.

Django escapes an apostrophe as ``&#x27;``, and Faker's British surnames include O'Neill
and O'Brien: a test that looks for a name in raw HTML fails whenever the factory picks one.
"""

import html


def page_text(response) -> str:
    """The page's HTML with entities turned back into the characters a reader sees."""
    return html.unescape(response.content.decode())
