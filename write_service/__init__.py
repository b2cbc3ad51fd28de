"""write_service"""
