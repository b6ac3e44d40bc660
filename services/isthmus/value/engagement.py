"""Use cases of segments and campaigns over one transaction: profiles learnt from events, segment
membership kept incrementally, triggers decided once, and the reports. Rules live in segments.py and
campaigns.py; the two modules below read and write the tables and ask the publisher for events.
``Engagement`` is the one entry point to them:

- engagement_segments.py: customer profiles, segments and their membership (``Audience``), and what
  the use cases are given: the ``Publisher`` of events and the ``ValueFacts`` of customers.
- engagement_campaigns.py: campaigns, their audit trail (``Actor``), triggers and decisions, carts,
  responses and attribution, the reports and the calendar scan (``Campaigns``).
"""

from __future__ import annotations

from isthmus.value.engagement_campaigns import Campaigns


class Engagement(Campaigns):
    """Profiles, segments and campaigns over one session: ``Engagement(session, clock, publisher,
    value_facts)``."""
