"""The gateway's key, CORS, image URL policy and the chat page's files and headers."""

import openai
import pytest

from aiodynaspark._wire import _remote_images
from aiodynaspark._wire._remote_images import is_public_address
from aiodynaspark.testing import Emulator, Quirk, answer_for
from support.gateway import GatewayFactory, assert_openai_error, fetch, sdk

HI = [{"role": "user", "content": "Hi"}]


def image_message(url: str) -> list[dict[str, object]]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is it?"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]


async def test_missing_or_wrong_key_is_401_and_right_key_passes(
    start_gateway: GatewayFactory,
) -> None:
    async with start_gateway(api_key="s3cret") as root:
        for wrong in ("x", "s3cret-not", "S3CRET"):
            async with sdk(root, api_key=wrong) as client:
                with pytest.raises(openai.AuthenticationError) as caught:
                    await client.models.list()
                assert caught.value.code == "invalid_api_key"
        no_header = await fetch("POST", f"{root}/v1/chat/completions", json={})
        assert_openai_error(no_header, 401)
        assert no_header.headers["www-authenticate"] == "Bearer"
        async with sdk(root, api_key="s3cret") as client:
            completion = await client.chat.completions.create(model="gemini-1.5-flash", messages=HI)
    assert completion.choices[0].message.content == answer_for("gemini-1.5-flash", "Hi")


async def test_key_comes_from_the_environment(
    start_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIODYNASPARK_API_KEY", "from-env")
    async with start_gateway() as root:
        refused = await fetch("GET", f"{root}/v1/models")
        allowed = await fetch(
            "GET", f"{root}/v1/models", headers={"Authorization": "Bearer from-env"}
        )
    assert refused.status == 401
    assert allowed.status == 200


async def test_health_page_and_schema_stay_open_with_a_key(start_gateway: GatewayFactory) -> None:
    async with start_gateway(api_key="s3cret") as root:
        for path in ("/health", "/", "/openapi.json"):
            assert (await fetch("GET", root + path)).status == 200


async def test_cors_is_off_unless_origins_are_configured(start_gateway: GatewayFactory) -> None:
    origin = {"Origin": "https://chat.example"}
    preflight = {
        **origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    async with start_gateway() as root:
        plain = await fetch("GET", f"{root}/v1/models", headers=origin)
        assert "access-control-allow-origin" not in plain.headers
    async with start_gateway(cors_origins=["https://chat.example"], api_key="k") as root:
        allowed = await fetch("OPTIONS", f"{root}/v1/chat/completions", headers=preflight)
        assert allowed.status == 200
        assert allowed.headers["access-control-allow-origin"] == "https://chat.example"
        other = await fetch("GET", f"{root}/v1/models", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_remote_image_url_is_refused_by_default(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(
            model="gemini-1.5-flash", messages=image_message("https://example.com/cat.png")
        )
    assert "data:" in caught.value.message
    assert emu.requests == []  # refused before any upstream request


@pytest.mark.parametrize("path", ["/etc/passwd", "file:///etc/passwd", "DATA:image/png;base64,"])
async def test_image_url_that_is_not_a_data_uri_is_never_read_as_a_path(
    emu: Emulator, client: openai.AsyncOpenAI, path: str
) -> None:
    with pytest.raises(openai.BadRequestError):
        await client.chat.completions.create(model="gemini-1.5-flash", messages=image_message(path))
    assert emu.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "http://localhost:9/x.png",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9/x.png",
        "http://10.0.0.1/x.png",
    ],
)
async def test_private_addresses_stay_refused_with_remote_images_on(
    emu: Emulator, start_gateway: GatewayFactory, url: str
) -> None:
    async with start_gateway(allow_remote_images=True) as root, sdk(root) as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="gemini-1.5-flash", messages=image_message(url)
            )
    assert "public" in caught.value.message
    assert emu.requests == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("not an address", False),
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


async def test_remote_image_is_fetched_and_sent_when_enabled(
    emu: Emulator,
    start_gateway: GatewayFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The emulator serves the images it generates; let its loopback address count as public
    # for this test only, to see the fetch path end to end.
    monkeypatch.setattr(_remote_images, "is_public_address", lambda address: True)
    async with start_gateway(allow_remote_images=True) as root, sdk(root) as client:
        image = await client.images.generate(prompt="a dot", size="64x64")
        assert image.data[0].url is not None
        downloaded = await fetch("GET", image.data[0].url)
        completion = await client.chat.completions.create(
            model="gemini-1.5-flash", messages=image_message(image.data[0].url)
        )
    upload = emu.requests[-1].file
    assert upload is not None
    assert upload.data == downloaded.body
    expected = answer_for("gemini-1.5-flash", "What is it?", downloaded.body)
    assert completion.choices[0].message.content == expected


async def test_chat_page_is_served_with_security_headers(gateway: str) -> None:
    page = await fetch("GET", f"{gateway}/")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    script = await fetch("GET", f"{gateway}/ui/app.js")
    assert script.status == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "content-security-policy" in script.headers
    style = await fetch("GET", f"{gateway}/ui/style.css")
    assert style.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path",
    [
        "/ui/../_app.py",
        "/ui/..%2F_app.py",
        "/ui/%2e%2e/__init__.py",
        "/ui/nothing.js",
        "/ui/",
        "/ui/..%2F..%2F..%2Fpyproject.toml",
    ],
)
async def test_only_files_of_the_ui_directory_are_served(gateway: str, path: str) -> None:
    answer = await fetch("GET", gateway + path)
    assert answer.status == 404
    assert b"import" not in answer.body


async def test_no_ui_means_no_page(start_gateway: GatewayFactory) -> None:
    async with start_gateway(ui=False) as root:
        assert (await fetch("GET", f"{root}/")).status == 404
        assert (await fetch("GET", f"{root}/ui/app.js")).status == 404
        assert (await fetch("GET", f"{root}/health")).status == 200


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::7f00:1",  # local-use NAT64 of 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "::10.0.0.1",  # IPv4-compatible
        "::ffff:192.168.1.1",  # IPv4-mapped
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
    ],
)
def test_ipv6_forms_of_private_ipv4_are_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2002:808:808::", "2606:4700::1111"])
def test_ipv6_forms_of_public_ipv4_are_public(address: str) -> None:
    assert is_public_address(address)


async def test_b64_image_from_another_origin_is_refused_by_the_gateway(
    gateway: str, emu: Emulator
) -> None:
    async with Emulator() as elsewhere:
        emu.push(Quirk.image_url(elsewhere.url + "/status"))
        answer = await fetch(
            "POST",
            gateway + "/v1/images/generations",
            json={"prompt": "a cat", "response_format": "b64_json"},
        )
        assert_openai_error(answer, 502)
        assert elsewhere.requests == []


async def test_chat_redirect_to_another_host_is_not_followed(gateway: str, emu: Emulator) -> None:
    async with Emulator() as elsewhere:
        emu.push(Quirk.redirect(elsewhere.url + "/generate_response", 307))
        answer = await fetch(
            "POST",
            gateway + "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "hi"}]},
        )
        assert_openai_error(answer, 502)
        assert elsewhere.requests == []


async def test_remote_images_are_counted_before_any_fetch(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    parts = [{"type": "image_url", "image_url": {"url": emu.url + "/status"}}] * 3
    body = {"messages": [{"role": "user", "content": parts}]}
    async with start_gateway(allow_remote_images=True, max_image_parts=5) as url:
        answer = await fetch("POST", url + "/v1/chat/completions", json=body)
    assert "3 remote images" in assert_openai_error(answer, 400)["message"]
    assert emu.requests == []
