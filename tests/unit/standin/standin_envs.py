"""Good environments for each stand-in: what the roles render (Ansible's Templar, role defaults)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'templates'))

from rendering import render_var  # noqa: E402

import contract  # noqa: E402  (molecule/resources/images/standin, put on sys.path by conftest)

JWT_SECRET = 'standin-unit-jwt-secret-0123456789abcdefXYZ'
ANON_KEY = contract.sign_hs256({'role': 'anon', 'iss': 'supabase', 'exp': 4102444800}, JWT_SECRET)
SERVICE_KEY = contract.sign_hs256({'role': 'service_role', 'iss': 'supabase', 'exp': 4102444800}, JWT_SECRET)

# The expression each role hands the container role as container_env (roles/<role>/tasks/container.yml).
ENV_EXPRESSIONS = {
    'gotrue': ('gotrue', '__gotrue_env | combine(__gotrue_provider_env, gotrue_extra_env)'),
    'postgrest': ('postgrest', '__postgrest_env | combine(postgrest_extra_env)'),
    'realtime': ('realtime', '__realtime_env | combine(__realtime_redis_env, realtime_extra_env)'),
    'storage': ('storage', '__storage_env | combine(__storage_backend_env[storage_backend], __storage_imgproxy_env, '
                'storage_extra_env)'),
    'studio': ('studio', '__studio_env | combine(studio_extra_env)'),
    'functions': ('functions', '__functions_env | combine(functions_extra_env)'),
    'kong': ('kong', '__kong_env | combine(kong_extra_env)'),
}

_CACHE = {}


def rendered_env(component, **overrides):
    key = (component, repr(sorted(overrides.items())))
    if key not in _CACHE:
        role, expression = ENV_EXPRESSIONS[component]
        values = dict(supabase_jwt_secret=JWT_SECRET, supabase_anon_key=ANON_KEY,
                      supabase_service_role_key=SERVICE_KEY, realtime_redis_password='unit-redis-password')
        values.update(overrides)
        env = render_var(role, expression, **values)
        _CACHE[key] = {str(k): str(v) for k, v in env.items()}
    return dict(_CACHE[key])
