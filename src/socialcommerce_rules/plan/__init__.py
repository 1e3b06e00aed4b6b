"""The plan language: models, loading from TOML/JSON, versions, JSON Schema."""

from ._load import PlanSet, load_plan, plan_json_schema
from ._models import (
    Binding,
    Caps,
    CommissionBase,
    DifferentialRule,
    GiftPack,
    Level,
    LevelRule,
    Plan,
    PointsLevel,
    PointsRule,
    Role,
    Rule,
)

__all__ = [
    "Binding",
    "Caps",
    "CommissionBase",
    "DifferentialRule",
    "GiftPack",
    "Level",
    "LevelRule",
    "Plan",
    "PlanSet",
    "PointsLevel",
    "PointsRule",
    "Role",
    "Rule",
    "load_plan",
    "plan_json_schema",
]
