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


def validate_spec(options, values):
    """Error messages of ``values`` (already templated) against the argument spec ``options``."""
    if not options:
        return []
    result = ArgumentSpecValidator(options).validate(values, validate_role_argument_spec=True)
    return list(result.error_messages)


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

    def _templar_with(self, task_vars, extra):
        """The action's templar when there is nothing to add, else one shared copy over task_vars + ``extra``
        (one copy per task: making a templar costs more than evaluating most checks)."""
        if not extra:
            return self._templar
        variables = dict(task_vars)
        variables.update(extra)
        if getattr(self, '_work_templar', None) is None:
            self._work_templar = self._templar.copy_with_new_env(available_variables=variables)
        else:
            self._work_templar.available_variables = variables
        return self._work_templar

    def _context(self, task_vars, check_vars, extra=None):
        """A templar over task_vars + ``extra`` + the check's vars, each var rendered once, in order
        (a var may use the ones before it), so an expression used by several conditions is computed once."""
        extra = dict(extra or {})
        for name, value in check_vars.items():
            extra[name] = self._templar_with(task_vars, extra).template(value)
        return self._templar_with(task_vars, extra)

    def _all_true(self, templar, conditions):
        return all(templar.evaluate_conditional(c) for c in _listify(conditions))

    def _run_check(self, index, check, task_vars):
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
            # `when` and `loop` see the task's variables; the check's vars are rendered per item.
            if not self._all_true(self._templar, check.get('when')):
                return []
            if 'loop' in check:
                items = check['loop']
                items = self._templar.template(items) if isinstance(items, str) else items
                loop_var = check.get('loop_var', 'item')
                extras = [{loop_var: item} for item in _listify(items)]
            else:
                extras = [{}]
            for extra in extras:
                # The shared templar: each context is used up before the next one is made.
                ctx = self._context(task_vars, check_vars, extra)
                if not self._all_true(ctx, check['that']):
                    msg = check.get('msg') or 'checks[%d] failed: %s' % (index, ' and '.join(_listify(check['that'])))
                    problems.append(' '.join(str(ctx.template(msg)).split()))
        except Exception as exc:  # a bad input can make an expression itself fail (e.g. a string for a mapping)
            # The raw message (not templated: templating may be what failed) and, unless the check
            # touches a secret, the first line of the error.
            what = _raw(check.get('msg') or ' and '.join(_listify(check['that'])))
            if secret:
                problems.append('%s (the check could not be evaluated; values not shown)' % what)
            else:
                problems.append('%s (the check could not be evaluated: %s)' % (what, _first_line(exc)))
        return problems

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp

        args = self._task.args
        unknown = set(args) - set(('role_path', 'checks', 'entry_point', 'fail'))
        if unknown:
            raise AnsibleError('validate_inputs: unknown options %s' % ', '.join(sorted(unknown)))
        role_path = args.get('role_path') or ''
        checks = args.get('checks') or []
        if not isinstance(checks, list):
            raise AnsibleError('validate_inputs: checks must be a list')

        problems = []
        spec_errors = []
        if role_path:
            options = load_spec_options(role_path, loader=self._loader, entry=args.get('entry_point') or 'main')
            host = task_vars.get('inventory_hostname')
            hostvars = task_vars.get('hostvars') or {}
            given = set(hostvars[host].keys()) if host in hostvars else set(task_vars)
            subset = spec_subset(options, given)
            values = self._templar.template(dict((k, task_vars[k]) for k in subset if k in task_vars))
            spec_errors = validate_spec(subset, values)
            problems.extend(spec_errors)
        for index, check in enumerate(checks):
            problems.extend(self._run_check(index, check, task_vars))

        result['changed'] = False
        result['problems'] = problems
        result['checked'] = len(checks)
        if problems and args.get('fail', True):
            role = os.path.basename(role_path.rstrip('/')) if role_path else ''
            result['failed'] = True
            result['msg'] = '%s%d bad input(s): %s' % (role + ': ' if role else '', len(problems), ' | '.join(problems))
        else:
            result['msg'] = 'All %d checks passed' % len(checks) + (' and the argument spec' if role_path else '')
        return result


def _raw(text):
    return ' '.join(str(text).split())


def _first_line(exc):
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
