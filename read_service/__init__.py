"""read_service"""
