from django.apps import AppConfig


class SchoolsFeedConfig(AppConfig):
    name = "schools_feed"
    verbose_name = "Schools feed"
