"""docker_resources: a role's resources dict as community.docker.docker_container arguments."""
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter.docker_resources import docker_resources


def test_the_seed_example():
    # db limited to 4 CPUs and 8G, reserving 4G (and, as the closest Docker has to a CPU reservation, twice the weight).
    got = docker_resources({'cpus': 4, 'memory': '8G', 'memory_reservation': '4G', 'cpu_shares': 2048})
    assert got == {'cpus': 4.0, 'memory': '8g', 'memory_reservation': '4g', 'cpu_shares': 2048}


def test_unset_and_null_keys_set_nothing():
    assert docker_resources({}) == {}
    assert docker_resources(None) == {}
    assert docker_resources({'cpus': None, 'memory': None, 'memory_reservation': '', 'cpu_shares': None}) == {}
    assert docker_resources({'memory': '512m'}) == {'memory': '512m'}


def test_strings_from_an_inventory_are_read():
    assert docker_resources({'cpus': '0.5', 'cpu_shares': '512', 'memory': '1073741824'}) == {
        'cpus': 0.5, 'cpu_shares': 512, 'memory': '1073741824'}


@pytest.mark.parametrize('given, words', [
    ({'memory': '8 GB'}, "postgres_resources.memory: '8 GB' is not a memory size"),
    ({'memory': '8GiB'}, 'is not a memory size'),
    ({'memory': '0'}, 'must be more than 0'),
    ({'memory_reservation': 'lots'}, 'postgres_resources.memory_reservation'),
    ({'cpus': 0}, 'postgres_resources.cpus: 0 must be a number above 0'),
    ({'cpus': 'four'}, 'is not a number of CPUs'),
    ({'cpus': True}, 'must be a number above 0'),
    ({'cpu_shares': 1}, 'cpu_shares: 1 must be an integer of at least 2'),
    ({'cpu_shares': 1.5}, 'must be an integer'),
    ({'memory': '4g', 'memory_reservation': '8g'}, 'memory_reservation 8g is above the memory limit 4g'),
    ({'memroy': '4g'}, 'unknown key(s) memroy'),
])
def test_bad_values_are_refused_naming_the_input(given, words):
    with pytest.raises(AnsibleFilterError) as err:
        docker_resources(given, 'postgres_resources')
    assert words in str(err.value)


def test_a_reservation_equal_to_the_limit_in_other_units_is_accepted():
    assert docker_resources({'memory': '1g', 'memory_reservation': '1024m'}) == {'memory': '1g', 'memory_reservation': '1024m'}


def test_not_a_dict():
    with pytest.raises(AnsibleFilterError, match='must be a dict'):
        docker_resources('4g', 'redis_resources')
