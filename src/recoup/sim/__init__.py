"""Synthetic portfolios and the debtor-behaviour simulator (see docs/simulator.md)."""

from recoup.sim.actions import simple_actions
from recoup.sim.behaviour import DebtorBehaviour, contacts_outside_hours
from recoup.sim.files import write_accounts, write_contacts, write_events, write_portfolio
from recoup.sim.parameters import DEFAULT_PARAMETERS, BehaviourParameters
from recoup.sim.portfolio import SyntheticPortfolio, generate_portfolio

__all__ = [
    "DEFAULT_PARAMETERS",
    "BehaviourParameters",
    "DebtorBehaviour",
    "SyntheticPortfolio",
    "contacts_outside_hours",
    "generate_portfolio",
    "simple_actions",
    "write_accounts",
    "write_contacts",
    "write_events",
    "write_portfolio",
]
