"""``{% load capabilities %}`` then ``{% if user|can:"change_child" %}``: templates ask the
capability table (registry/access.py), never a role."""

from django import template

from registry.access import user_can

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    return user_can(user, capability)
