"""A synthetic but plausible demo village (大苍村, 冷市镇, 安化县): pure, deterministic data.

``generate_village(today, seed)`` returns frozen dataclasses only (no database, no Flask); a
loader stores them through the register and points services. Every run with the same
``(today, seed)`` gives the same village, in any process.
"""

from app.services.demo.generate import GROUPS, HOUSEHOLDS, PEOPLE, generate_village
from app.services.demo.models import DemoAward, DemoEvent, DemoGroup, DemoHousehold, DemoPerson, DemoVillage
from app.services.demo.profile import HAMLETS, MOTTOS

__all__ = [
    "GROUPS",
    "HAMLETS",
    "HOUSEHOLDS",
    "MOTTOS",
    "PEOPLE",
    "DemoAward",
    "DemoEvent",
    "DemoGroup",
    "DemoHousehold",
    "DemoPerson",
    "DemoVillage",
    "generate_village",
]
