"""socialcommerce_rules: order attribution and commission payouts for social e-commerce.

From a declarative plan, the referral graph as it stood at payment time and a paid
order, compute who is credited with the sale and who is paid what, exactly to the
quantum, with a one-sentence reason for every line.

>>> import socialcommerce_rules as scr
>>> plan = scr.load_plan("examples/article_scheme.toml")
>>> plan.roles[-1].name
'guide'
"""

from .engine import Evaluation, InviteAward, ItemBase, PayoutLine, evaluate, evaluate_invite
from .errors import (
    ERROR_CODES,
    GraphError,
    InternalInvariantError,
    LimitError,
    NoPlanInForceError,
    OrderError,
    PlanError,
    Problem,
    SocialCommerceError,
    UnknownParticipantError,
)
from .graph import ReferralGraph, RoleChange
from .orders import Order, OrderItem
from .plan import Plan, PlanSet, load_plan, plan_json_schema

__all__ = [
    "ERROR_CODES",
    "Evaluation",
    "GraphError",
    "InternalInvariantError",
    "InviteAward",
    "ItemBase",
    "LimitError",
    "NoPlanInForceError",
    "Order",
    "OrderError",
    "OrderItem",
    "PayoutLine",
    "Plan",
    "PlanError",
    "PlanSet",
    "Problem",
    "ReferralGraph",
    "RoleChange",
    "SocialCommerceError",
    "UnknownParticipantError",
    "evaluate",
    "evaluate_invite",
    "load_plan",
    "plan_json_schema",
]

__version__ = "0.1.0"
