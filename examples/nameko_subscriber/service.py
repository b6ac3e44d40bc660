"""A nameko service that subscribes to Isthmus events through the nameko bridge.

Run the bridge (`isthmus nameko-bridge --events 'orders.*'`), then this service in its own virtualenv:

    nameko run service --broker amqp://guest:guest@localhost:5672/

Each event arrives as the JSON object the bridge builds: the envelope fields and the payload as a dict.
Set RECEIVED_EVENTS_FILE to also append each one, as a JSON line, to that file.
"""

import json
import os

from nameko.events import event_handler


class LoyaltyNotifier:
    name = "loyalty_notifier"

    @event_handler("isthmus_bridge", "orders.OrderPaid")
    def on_order_paid(self, event):
        paid = event["payload"]
        print(f"order {event['aggregate_id']} paid ({paid.get('payment_reference', '')})", flush=True)
        path = os.environ.get("RECEIVED_EVENTS_FILE")
        if path:
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(event) + "\n")
