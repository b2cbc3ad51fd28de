"""eventstore_lite"""
