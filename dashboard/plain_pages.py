"""The few pages outside Dash (sign-in, errors, plain notices), rendered from the autoescaped
Jinja2 templates in dashboard/templates: every value passed in is shown as text."""
from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

PAGES = Environment(loader=PackageLoader("dashboard", "templates"),
                    autoescape=select_autoescape(["html", "j2"]))


def render_page(name: str, **values) -> str:
    """The template `name` filled with `values` (each escaped as it is written out)."""
    return PAGES.get_template(name).render(**values)


def plain_page(title: str, text: str, *, link_text: str = "Back to Clearseg",
               href: str = "/") -> str:
    """A notice page: a title, a sentence and one link."""
    return render_page("plain.html.j2", title=title, text=text, link_text=link_text, href=href)
