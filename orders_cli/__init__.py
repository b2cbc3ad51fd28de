"""orders_cli"""
