"""The JSON API's response bodies as pydantic models (`response_model=` on every route), so the OpenAPI
document describes each answer. Field names, order and nullability are the contract of ../shared/spec/api.md:
add fields, never rename them."""
