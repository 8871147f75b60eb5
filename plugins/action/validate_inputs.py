# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""Action of selfhost.supabase.validate_inputs: a role's argument spec and its checks in one task.

See plugins/modules/validate_inputs.py for the documentation. Runs on the controller only (no
connection, no module): one task instead of one per check keeps the validation phase to seconds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.selfhost.supabase.plugins.filter.validation import supabase_renamed_variables

# The task args a check may carry; anything else is a mistake in the role, refused loudly.
CHECK_KEYS = frozenset(('that', 'msg', 'when', 'loop', 'loop_var', 'vars', 'secret'))


def _listify(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def spec_subset(options, given):
    """The options of a role's spec to validate: those the operator set (``given``) and the required ones.

    A role's defaults are its own and are not validated here (the spec documents them).
    """
    out = {}
    for name, spec in (options or {}).items():
        if name in given or (spec or {}).get('required'):
            out[name] = spec
    return out


def load_spec_options(role_path, loader=None, entry='main'):
    """The options of entry point ``entry`` of ``role_path``/meta/argument_specs.yml ({} without a spec)."""
    path = os.path.join(role_path, 'meta', 'argument_specs.yml')
    if not os.path.isfile(path):
        return {}
    if loader is not None:
        data = loader.load_from_file(path)
    else:
        import yaml  # PyYAML ships with ansible-core
        with open(path, 'rb') as handle:
            data = yaml.safe_load(handle)
    return ((((data or {}).get('argument_specs') or {}).get(entry) or {}).get('options')) or {}


def renamed_problems(role, given):
    """Sentences for the old (renamed) inputs of ``role`` among the variable names ``given``.

    A role run alone (include_role, no validation phase) would ignore an old name: it is refused here,
    before the argument spec, naming the old and the new variable.
    """
    prefix = '%s_' % role
    return supabase_renamed_variables([name for name in given if str(name).startswith(prefix)])


def validate_spec(options, values):
    """Error messages of ``values`` (already templated) against the argument spec ``options``."""
    if not options:
        return []
    result = ArgumentSpecValidator(options).validate(values, validate_role_argument_spec=True)
    return list(result.error_messages)


# The collection's roles, for the roles option (this file is plugins/action/validate_inputs.py).
ROLES_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'roles'))


def preflight_checks(tasks):
    """[(role_path given?, checks)] of the validate_inputs tasks in a parsed tasks file (blocks walked)."""
    out = []
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for key in ('block', 'rescue', 'always'):
            out.extend(preflight_checks(task.get(key)))
        for name in ('selfhost.supabase.validate_inputs', 'validate_inputs'):
            if isinstance(task.get(name), dict):
                args = task[name]
                out.append((bool(args.get('role_path')), list(args.get('checks') or [])))
    return out


class _Context(object):
    """Evaluates checks over one set of variables (a task's, or a role's emulated ones)."""

    def __init__(self, templar, variables):
        self.base = templar
        self.variables = variables
        self.work = None

    def with_extra(self, extra):
        """A templar over the variables + ``extra`` (one shared copy: making a templar costs more
        than evaluating most checks, so each context is used up before the next is made)."""
        if not extra:
            return self.base
        variables = dict(self.variables)
        variables.update(extra)
        if self.work is None:
            self.work = self.base.copy_with_new_env(available_variables=variables)
        else:
            self.work.available_variables = variables
        return self.work

    def for_check(self, check_vars, extra=None):
        """The check's vars rendered once, in order (a var may use the ones before it)."""
        extra = dict(extra or {})
        for name, value in check_vars.items():
            extra[name] = self.with_extra(extra).template(value)
        return self.with_extra(extra)


def _all_true(templar, conditions):
    return all(templar.evaluate_conditional(c) for c in _listify(conditions))


def run_check(ctx, index, check):
    """The problems of one check (a list of messages)."""
    if not isinstance(check, dict) or 'that' not in check:
        raise AnsibleError('validate_inputs: checks[%d] must be a mapping with "that"' % index)
    unknown = set(check) - CHECK_KEYS
    if unknown:
        raise AnsibleError('validate_inputs: checks[%d] has unknown keys %s' % (index, ', '.join(sorted(unknown))))
    secret = bool(check.get('secret', False))
    check_vars = check.get('vars') or {}
    if not isinstance(check_vars, dict):
        raise AnsibleError('validate_inputs: checks[%d].vars must be a mapping' % index)
    problems = []
    try:
        # `when` and `loop` see the variables; the check's vars are rendered per item.
        if not _all_true(ctx.base, check.get('when')):
            return []
        if 'loop' in check:
            items = check['loop']
            items = ctx.base.template(items) if isinstance(items, str) else items
            extras = [{check.get('loop_var', 'item'): item} for item in _listify(items)]
        else:
            extras = [{}]
        for extra in extras:
            templar = ctx.for_check(check_vars, extra)
            if not _all_true(templar, check['that']):
                msg = check.get('msg') or 'checks[%d] failed: %s' % (index, ' and '.join(_listify(check['that'])))
                problems.append(' '.join(str(templar.template(msg)).split()))
    except Exception as exc:  # noqa: BLE001 - a bad input can make an expression itself fail (a string for a mapping)
        problems.append(_unevaluated(check, secret, exc))
    return problems


def _unevaluated(check, secret, exc):
    # The raw message (not templated: templating may be what failed) and, unless the check touches
    # a secret, the first line of the error.
    what = _raw(check.get('msg') or ' and '.join(_listify(check['that'])))
    if secret:
        return '%s (the check could not be evaluated; values not shown)' % what
    return '%s (the check could not be evaluated: %s)' % (what, _first_line(exc))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    @classmethod
    def finalize_task_arg(cls, name, value, templar, context):
        # The checks are expressions evaluated one by one in run(), each only when its `when` holds,
        # and their messages only when they fail: no templating up front.
        if name == 'checks':
            return value
        return super(ActionModule, cls).finalize_task_arg(name, value, templar, context)

    def _spec_problems(self, templar, role_path, variables, given, entry):
        options = load_spec_options(role_path, loader=self._loader, entry=entry)
        subset = spec_subset(options, given)
        values = templar.template(dict((k, variables[k]) for k in subset if k in variables))
        return validate_spec(subset, values)

    def _load(self, path):
        if not os.path.isfile(path):
            return None
        return self._loader.load_from_file(path, trusted_as_template=True)

    def _role_variables(self, role_path, task_vars):
        """A role's variables as Ansible gives them to its tasks: its defaults under the task's variables
        (inventory, facts, extra vars), its vars over them (every role's vars are internal __ names)."""
        variables = dict(self._load(os.path.join(role_path, 'defaults', 'main.yml')) or {})
        variables.update(task_vars)
        variables.update(self._load(os.path.join(role_path, 'vars', 'main.yml')) or {})
        variables['role_path'] = role_path
        variables['role_name'] = os.path.basename(role_path)
        return variables

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp

        args = self._task.args
        unknown = set(args) - set(('role_path', 'checks', 'entry_point', 'fail', 'roles'))
        if unknown:
            raise AnsibleError('validate_inputs: unknown options %s' % ', '.join(sorted(unknown)))
        role_path = args.get('role_path') or ''
        checks = args.get('checks') or []
        roles = args.get('roles') or []
        entry = args.get('entry_point') or 'main'
        if not isinstance(checks, list) or not isinstance(roles, list):
            raise AnsibleError('validate_inputs: checks and roles must be lists')
        if roles and (role_path or checks):
            raise AnsibleError('validate_inputs: give roles, or role_path and checks, not both')

        host = task_vars.get('inventory_hostname')
        hostvars = task_vars.get('hostvars') or {}
        given = set(hostvars[host].keys()) if host in hostvars else set(task_vars)

        problems = []
        count = 0
        if roles:
            # Every role's preflight.yml validate_inputs task(s), evaluated here with the role's defaults
            # and vars: one task per host for every role, instead of an include and a task per role.
            for role in roles:
                path = os.path.join(ROLES_DIR, str(role))
                tasks_file = os.path.join(path, 'tasks', 'preflight.yml')
                if not os.path.isfile(tasks_file):
                    raise AnsibleError('validate_inputs: role %s has no tasks/preflight.yml under %s' % (role, ROLES_DIR))
                variables = self._role_variables(path, task_vars)
                ctx = _Context(self._templar.copy_with_new_env(available_variables=variables), variables)
                found = []
                for with_spec, role_checks in preflight_checks(self._load(tasks_file)):
                    if with_spec:
                        found.extend(renamed_problems(role, given))
                        found.extend(self._spec_problems(ctx.base, path, variables, given, entry))
                    for index, check in enumerate(role_checks):
                        found.extend(run_check(ctx, index, check))
                    count += len(role_checks)
                problems.extend('%s: %s' % (role, p) for p in found)
        else:
            ctx = _Context(self._templar, task_vars)
            if role_path:
                problems.extend(renamed_problems(os.path.basename(role_path.rstrip('/')), given))
                problems.extend(self._spec_problems(self._templar, role_path, task_vars, given, entry))
            for index, check in enumerate(checks):
                problems.extend(run_check(ctx, index, check))
            count = len(checks)

        result['changed'] = False
        result['problems'] = problems
        result['checked'] = count
        if problems and args.get('fail', True):
            role = os.path.basename(role_path.rstrip('/')) if role_path else ''
            result['failed'] = True
            result['msg'] = '%s%d bad input(s): %s' % (role + ': ' if role else '', len(problems), ' | '.join(problems))
        else:
            result['msg'] = 'All %d checks passed' % count + (' and the argument specs' if role_path or roles else '')
        return result


def _raw(text):
    return ' '.join(str(text).split())


def _first_line(exc):
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
