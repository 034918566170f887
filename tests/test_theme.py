"""A site's own templates replace the package's by file name; its stylesheets are copied and linked."""

from __future__ import annotations

from atlas.core.config import SiteConfig, ThemeConfig
from atlas.site.context import make_environment, site_view
from atlas.site.pages import package_assets


def test_a_template_in_the_theme_folder_replaces_the_packaged_one(tmp_path):
    (tmp_path / "theme").mkdir()
    (tmp_path / "theme" / "redirect.html").write_text("museum redirect to {{ target }}", encoding="utf-8")
    config = SiteConfig(theme=ThemeConfig(templates="theme"), root=tmp_path)
    env = make_environment(config)
    assert env.get_template("redirect.html").render(target="/x/") == "museum redirect to /x/"
    packaged = make_environment(SiteConfig(root=tmp_path)).get_template("redirect.html").render(target="/x/", canonical="/x/")
    assert "museum" not in packaged and "/x/" in packaged
    assert env.get_template("404.html") is not None  # templates not overridden still come from the package


def test_theme_stylesheets_are_linked_under_base_url(tmp_path):
    config = SiteConfig(base_url="/atlas/", theme=ThemeConfig(css=["css/museum.css"]), root=tmp_path)
    assert site_view(config)["theme_css"] == ["/atlas/assets/site/museum.css"]


def test_package_assets_are_read_from_the_installed_package():
    names = [name for name, _ in package_assets()]
    assert {"atlas.css", "map.js", "search.js"} <= set(names) and names == sorted(names)
