"""Ports picked together for processes started together are all different, and free."""

from __future__ import annotations

from orders_runtime.ports import free_ports, port_is_free


def test_ports_picked_together_are_all_different_and_free_once_picked() -> None:
    ports = free_ports(64)
    assert len(ports) == 64
    assert len(set(ports)) == 64
    assert all(port_is_free(port) for port in ports)
