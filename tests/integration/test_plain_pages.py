"""The pages outside Dash (notices, the 503 page, sign-in) write every value as text."""
from __future__ import annotations

from dashboard.plain_pages import plain_page, render_page

HOSTILE = "<script>alert('x')</script> & \"quoted\""


def test_a_notice_escapes_its_title_text_and_link():
    page = plain_page(HOSTILE, HOSTILE, link_text=HOSTILE, href="' onclick='x")
    assert "<script>" not in page and "onclick='x" not in page
    assert page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quoted&#34;") == 4
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")


def test_the_sign_in_form_escapes_its_message_and_token():
    page = render_page("signin.html.j2", title="Sign in", message=HOSTILE, csrf="a'b")
    assert "<script>" not in page and "value='a&#39;b'" in page
    assert "<title>Sign in · Clearseg</title>" in page and "id='signin-button'" in page
