"""Conversation prompts for the next 1:1s, per construct (private to :mod:`toolkit.report.manager`), and
which way each construct of the default survey is better.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Direction of each construct of the default survey: ``+1`` when a higher score is better, ``-1``
#: when a higher score is worse. Holding issues back for the 1:1 is the only "higher is worse"
#: construct; constructs not listed count as "higher is better".
DIRECTION: Mapping[str, int] = {
    "availability": 1,
    "holding_back": -1,
    "depth": 1,
    "reliability": 1,
    "informal_contact": 1,
    "engagement": 1,
    "growth": 1,
    "trust": 1,
    "intent_to_stay": 1,
}

#: Conversation prompts per construct, for the next 1:1s; one is chosen per weak construct.
PROMPTS: Mapping[str, tuple[str, ...]] = {
    "availability": (
        "Ask when they last needed you and could not reach you: what did they do instead, and what "
        "did the wait cost them?",
        "Agree together how to reach you for something urgent, for something that can wait a day, "
        "and for something that belongs in the next 1:1.",
        "Ask which questions they kept to themselves because you looked busy, and talk one of them "
        "through now.",
    ),
    "holding_back": (
        "Ask whether they have been saving anything up for this meeting that would have been easier "
        "to raise when it happened.",
        "Agree which kinds of topic should never wait for the 1:1, and how they can bring them to you "
        "between meetings.",
        "Ask what makes a difficult topic feel safer to raise here than elsewhere, and what would make "
        "the other channels feel as safe.",
    ),
    "depth": (
        "Pick one piece of work from the last month and talk through how it got done and why it was "
        "done that way.",
        "Move status updates into a short written note before the meeting and spend the 1:1 on one "
        "question: what is getting in the way of your best work?",
        "Ask which team decision makes the least sense to them, and explain the reasoning behind it.",
    ),
    "reliability": (
        "Look back at the 1:1s you moved or cut short this quarter and agree what has to happen for "
        "the next ones to take place as planned.",
        "Ask how a cancelled 1:1 lands for them, and agree to reschedule rather than skip.",
        "Book the next few 1:1s now, at a time you can both protect, and say what you will do if "
        "something urgent clashes.",
    ),
    "informal_contact": (
        "Ask how they prefer to get quick answers between 1:1s (chat, a call, stopping by) and agree "
        "how you will make room for it.",
        "Ask what small things they would mention if you were around more often, and plan a short "
        "informal check-in each week.",
    ),
    "engagement": (
        "Ask which part of their recent work gave them energy and which drained it, and what could "
        "shift the balance.",
        "Talk about a piece of work they are proud of and what made it go well.",
        "Ask what they would change about their work if it were up to them alone.",
    ),
    "growth": (
        "Ask what they want to be able to do a year from now that they cannot do today, and agree a "
        "first step for the coming weeks.",
        "Talk about the last thing they learned at work and how you could create more chances like it.",
        "Ask where they feel stuck, and what support or stretch assignment would help them move.",
    ),
    "trust": (
        "Review the commitments you made in recent 1:1s: which did you follow through on, and which "
        "are still open?",
        "Ask where they would like more candour from you, and share something you have hesitated to "
        "tell them.",
        "Ask whether they feel you look out for their interests, and what would show it more clearly.",
    ),
    "intent_to_stay": (
        "Ask what would make them want to stay for the next few years, and what might make them look "
        "elsewhere.",
        "Talk about what their next role could look like and whether they can see a path to it here.",
    ),
}
_GENERIC_PROMPTS = (
    "Ask what this result means to them, and what one change would make the biggest difference.",
    "Ask for one example from the last month that explains this result.",
)
