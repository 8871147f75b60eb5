"""The offline S3 server's front (molecule/resources/images/minio/s3front.py): only the root credentials sign."""
import datetime
import hashlib

import pytest

pytest.importorskip('botocore')
from botocore.auth import S3SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

import s3front  # noqa: E402

USER, PASSWORD = 'unit-s3-user', 'unit-s3-password-123'


def signed(method='GET', uri='/bucket/key?versioning', body=b'', user=USER, password=PASSWORD,
           region='us-east-1', payload_hash=None):
    request = AWSRequest(method=method, url='http://s3.test:9000' + uri, data=body)
    request.headers['X-Amz-Content-SHA256'] = payload_hash or hashlib.sha256(body).hexdigest()
    signer = S3SigV4Auth(Credentials(user, password), 's3', region)
    signer.add_auth(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers['host'] = 's3.test:9000'
    return method, uri, headers, body


def verify(*args, **kwargs):
    return s3front.verify(*args, user=USER, password=PASSWORD, **kwargs)


def test_the_root_credentials_pass_with_any_region_and_query():
    assert verify(*signed())['access_key'] == USER
    assert verify(*signed(region='eu-central-1', uri='/bucket?list-type=2&prefix=a%2Fb'))
    assert verify(*signed(method='PUT', uri='/bucket/dir/obj.txt', body=b'hello'))


@pytest.mark.parametrize('kwargs,status,code', [
    ({'password': 'wrong-password-xyz'}, 403, 'SignatureDoesNotMatch'),
    ({'user': 'someone-else'}, 403, 'InvalidAccessKeyId'),
])
def test_other_credentials_are_refused(kwargs, status, code):
    with pytest.raises(s3front.Refused) as err:
        verify(*signed(**kwargs))
    assert (err.value.status, err.value.code) == (status, code)


def test_tampering_skew_and_payload():
    method, uri, headers, body = signed(method='PUT', uri='/bucket/obj', body=b'hello')
    with pytest.raises(s3front.Refused, match='signature'):
        verify(method, '/bucket/other', headers, body)
    with pytest.raises(s3front.Refused) as err:
        verify(method, uri, headers, b'changed')
    assert err.value.code == 'XAmzContentSHA256Mismatch'
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    with pytest.raises(s3front.Refused) as err:
        verify(*signed(), now=later)
    assert err.value.code == 'RequestTimeTooSkewed'


def test_unsigned_and_sigv2_are_refused():
    with pytest.raises(s3front.Refused) as err:
        verify('GET', '/bucket', {'host': 's3.test'}, b'')
    assert err.value.code == 'AccessDenied'
    with pytest.raises(s3front.Refused) as err:
        verify('GET', '/bucket', {'host': 's3.test', 'authorization': 'AWS %s:abc' % USER}, b'')
    assert err.value.code == 'AccessDenied'


def test_env_check():
    assert s3front.check_env({'MINIO_ROOT_USER': USER, 'MINIO_ROOT_PASSWORD': PASSWORD}) == (USER, PASSWORD)
    for env, message in [({}, 'MINIO_ROOT_USER: missing'), ({'MINIO_ROOT_USER': USER}, 'MINIO_ROOT_PASSWORD: missing'),
                         ({'MINIO_ROOT_USER': USER, 'MINIO_ROOT_PASSWORD': 'short'}, 'shorter than 8')]:
        with pytest.raises(ValueError, match=message):
            s3front.check_env(env)
