"""A complaint raised in the call center, and its resolution there, reach the hub through a connector.

The call center's export flags a call that raised a complaint ("Y") and, once the call center has
resolved it, carries the call again flagged "R". The first becomes a COMPLAINT case, which holds
marketing off its customer; the second resolves that case in the hub, so the customer may be
contacted again. Without it a synced complaint would suppress its customer for good.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from isthmus_connector_callcenter.simulator import CallCenterSimulator

from isthmus.connectors.runtime import Instance
from isthmus.platform import hub
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as api
from isthmus_client.api.service_requests.v1 import service_requests_pb2_grpc

from .test_refusals_and_replay import hub_settings, local_runtime

pytestmark = pytest.mark.postgres


async def test_a_complaint_resolved_in_the_call_center_is_resolved_in_the_hub_and_lifts_suppression(
    pg_database: str, tmp_path: Path
) -> None:
    sim = CallCenterSimulator(tmp_path, seed=0)
    sim.drop("callers", [sim.caller("K7", "Brandt, Ute", phone="+49 30 1234567")])
    sim.drop("calls", [sim.call("C70", "K7", complaint=True, topic="Damaged parcel")])
    settings = hub_settings(pg_database)
    inst = Instance("cc", "callcenter", sim.config(), 3600, ("customers", "service_requests"))
    async with hub.running(settings, ["customers", "service-requests"]) as h, h.channel() as channel:
        connectors = local_runtime(settings, channel, [inst])
        master = customers_pb2_grpc.CustomerMasterServiceStub(channel)
        cases = service_requests_pb2_grpc.ServiceRequestServiceStub(channel)
        try:
            await connectors.sync("cc", progress=False)
            found = await master.GetCustomerBySourceId(
                customers_pb2.GetCustomerBySourceIdRequest(source_system="callcenter", source_id="K7")
            )
            customer_id = found.customer.customer_id
            request = api.GetContactSuppressionRequest(customer_id=customer_id)
            held = await cases.GetContactSuppression(request)
            assert held.suppressed and len(held.service_request_ids) == 1
            [case_id] = held.service_request_ids

            # Resolved in the call center: the export carries the call again, flagged "R".
            sim.drop("calls", [sim.call("C70", "K7", complaint=True, resolved=True, topic="Damaged parcel")])
            [_, complaints] = await connectors.sync("cc", progress=False)
            assert (complaints.accepted, complaints.rejected) == (1, 0)
            got = await cases.GetServiceRequest(api.GetServiceRequestRequest(service_request_id=case_id))
            resolved = got.service_request
            assert resolved.state == srp.SERVICE_REQUEST_STATE_RESOLVED
            assert resolved.resolution_code == "RESOLVED_BY_CALL_CENTER"
            assert not (await cases.GetContactSuppression(request)).suppressed

            # The resolved call again in a later export changes nothing: the case is where the source
            # says it is.
            later = [
                sim.call("C70", "K7", complaint=True, resolved=True, topic="Damaged parcel"),
                sim.call("C71", "K7", topic="Thanks"),
            ]
            sim.drop("calls", later)
            [_, complaints] = await connectors.sync("cc", progress=False)
            assert (complaints.read, complaints.accepted) == (1, 1)
            again = await cases.GetServiceRequest(api.GetServiceRequestRequest(service_request_id=case_id))
            assert again.service_request.version == resolved.version
        finally:
            connectors.close()
