"""Carriers: one module per carrier (twilio.py), behind the `Carrier` interface of base.py.

Adding a carrier (Telnyx, Vonage, Bandwidth): write contacts_app/carriers/<name>.py with a class
implementing base.Carrier and add it to CARRIERS below. README "Connect your carrier" says more.
"""

from contacts_app.carriers.base import Carrier
from contacts_app.carriers.twilio import TwilioCarrier

CARRIERS: dict[str, Carrier] = {carrier.name: carrier for carrier in (TwilioCarrier(),)}


def carrier_named(name: str) -> Carrier:
    return CARRIERS[name]
