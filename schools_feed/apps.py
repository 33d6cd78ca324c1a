from django.apps import AppConfig


class SchoolsFeedConfig(AppConfig):
    name = "schools_feed"
    verbose_name = "Schools feed"

    def ready(self) -> None:
        # The register's quarterly pack has a section only the off-rolling monitor can build; the
        # monitor adds it here so the register never imports this app (docs/adr/0010-app-layers.md).
        from registry.reporting.pack import contribute_section
        from schools_feed.offrolling.pack_section import STAGE, offrolling_alerts_section

        contribute_section(STAGE, offrolling_alerts_section)
