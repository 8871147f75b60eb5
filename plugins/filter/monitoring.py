# Copyright: selfhost.supabase contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn the inventory into Prometheus scrape configuration."""

from __future__ import annotations

def _bracket(address):
    address = str(address)
    if ":" in address and not address.startswith("["):
        return "[%s]" % address
    return address


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def exporter_hosts(exporter, groups):
    """Hosts of the exporter's groups, in inventory order, each once."""
    seen = []
    for group in exporter.get("groups", []):
        for host in groups.get(group, []) or []:
            if host not in seen:
                seen.append(host)
    return seen


def exporter_target(exporter, host, hostvars):
    """Return 'address:port' for one exporter on one host, or None when it does not run there."""
    hv = hostvars.get(host, {}) or {}
    enabled_var = exporter.get("enabled_var")
    if enabled_var and not _truthy(hv.get(enabled_var, exporter.get("enabled", True))):
        return None
    address_var = exporter.get("address_var", "supabase_private_address")
    address = hv.get(address_var)
    if address in (None, ""):
        if exporter.get("require_address", False):
            return None
        address = hv.get("supabase_private_address") or hv.get("ansible_host") or host
    port_var = exporter.get("port_var")
    port = hv.get(port_var, exporter["port"]) if port_var else exporter["port"]
    return "%s:%s" % (_bracket(address), int(port))


def scrape_configs(exporters, groups, hostvars, interval=None):
    """One scrape job per exporter: a static target per host, labelled with the inventory name."""
    jobs = []
    for exporter in exporters:
        if "name" not in exporter or "port" not in exporter:
            raise ValueError("every exporter needs a name and a port: %r" % (exporter,))
        static = []
        for host in exporter_hosts(exporter, groups):
            target = exporter_target(exporter, host, hostvars)
            if target is not None:
                static.append({"targets": [target], "labels": {"host": host}})
        if not static:
            continue
        job = {"job_name": exporter["name"], "metrics_path": exporter.get("path", "/metrics"),
               "static_configs": static}
        if interval:
            job["scrape_interval"] = interval
        jobs.append(job)
    return jobs


def blackbox_scrape_config(targets, exporter_targets, module, job_name="blackbox"):
    """The blackbox job: each URL is a target, probed through the first blackbox exporter."""
    if not targets or not exporter_targets:
        return []
    return [{
        "job_name": job_name,
        "metrics_path": "/probe",
        "params": {"module": [module]},
        "static_configs": [{"targets": list(targets)}],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": exporter_targets[0]},
        ],
    }]


def all_targets(jobs):
    """Every 'address:port' of a list of scrape jobs (for firewall entries and tests)."""
    out = []
    for job in jobs:
        for static in job.get("static_configs", []):
            out.extend(static.get("targets", []))
    return out


def monitor_firewall_entries(ports, monitor_hosts, hostvars):
    """host_firewall_extra_ports entries admitting each port from the monitor hosts' private addresses only."""
    sources = []
    for host in monitor_hosts or []:
        hv = hostvars.get(host, {}) or {}
        address = str(hv.get("supabase_private_address") or hv.get("ansible_host") or "")
        if not address or not address[0].isdigit() and ":" not in address:
            raise ValueError("monitor host %s needs supabase_private_address (an IP address) for the firewall" % host)
        cidr = address if "/" in address else address + ("/128" if ":" in address else "/32")
        if cidr not in sources:
            sources.append(cidr)
    if not sources:
        return []
    return [{"port": int(port), "proto": "tcp", "sources": list(sources)} for port in ports]


class FilterModule:
    """Monitoring filters."""

    def filters(self):
        return {
            "scrape_configs": scrape_configs,
            "blackbox_scrape_config": blackbox_scrape_config,
            "exporter_target": exporter_target,
            "all_scrape_targets": all_targets,
            "monitor_firewall_entries": monitor_firewall_entries,
        }
