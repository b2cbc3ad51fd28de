"""Gossip.Read: this server is a one-node cluster and always the leader."""

from __future__ import annotations

import uuid

import grpc
from kurrentdbclient.protos.v1 import gossip_pb2, gossip_pb2_grpc, shared_pb2


class Gossip(gossip_pb2_grpc.GossipServicer):
    def __init__(self, advertised_host: str, port: int) -> None:
        self._host = advertised_host
        self._port = port
        self._instance_id = uuid.uuid4()

    async def Read(  # noqa: N802
        self,
        request: shared_pb2.Empty,
        context: grpc.aio.ServicerContext[shared_pb2.Empty, gossip_pb2.ClusterInfo],
    ) -> gossip_pb2.ClusterInfo:
        member = gossip_pb2.MemberInfo(
            instance_id=shared_pb2.UUID(string=str(self._instance_id)),
            state=gossip_pb2.MemberInfo.VNodeState.Leader,
            is_alive=True,
            http_end_point=gossip_pb2.EndPoint(address=self._host, port=self._port),
        )
        return gossip_pb2.ClusterInfo(members=[member])
