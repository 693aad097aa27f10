"""Listing pictures over the API: upload (type by content, size limit), at most six, removal, and the
files served with a year of caching."""

import io

from PIL import Image

from marketplace.domain.roles import Role
from marketplace.models import ListingPicture
from marketplace.services import menu, pictures


def _jpeg(size=(1600, 1200), colour=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


async def test_a_provider_uploads_pictures_shown_with_the_listing(client, factory, settings):
    category = await factory.category()
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category)
    h = factory.headers(provider)
    path = f"/api/v1/listings/{listing.id}/pictures"
    sent = await client.post(path, files={"file": ("photo.txt", _jpeg(), "text/plain")}, headers=h)
    assert sent.status_code == 201, sent.text
    picture = sent.json()
    assert (picture["width"], picture["height"]) == (1280, 960)
    assert (picture["thumb_width"], picture["thumb_height"]) == (400, 300)
    served = await client.get(picture["url"], headers=h)
    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (settings.data_dir / "pictures" / picture["url"].rsplit("/", 1)[1]).is_file()
    assert (await client.get(picture["thumb_url"])).status_code == 200
    detail = (await client.get(f"/api/v1/listings/{listing.id}")).json()
    assert [p["id"] for p in detail["pictures"]] == [picture["id"]]
    card = (await client.get("/api/v1/listings")).json()["items"][0]
    assert card["picture"]["thumb_url"] == picture["thumb_url"]
    removed = await client.delete(f"{path}/{picture['id']}", headers=h)
    assert removed.status_code == 204
    assert (await client.get(f"/api/v1/listings/{listing.id}")).json()["pictures"] == []
    assert (await client.get(picture["url"])).status_code == 404  # its files went with it
    assert (await client.delete(f"{path}/{picture['id']}", headers=h)).status_code == 404


async def test_refused_uploads_say_why(client, factory, settings):
    category = await factory.category()
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category)
    h = factory.headers(provider)
    path = f"/api/v1/listings/{listing.id}/pictures"
    fake = await client.post(path, files={"file": ("photo.jpg", b"<svg>not a photo</svg>", "image/jpeg")}, headers=h)
    assert fake.status_code == 400 and fake.json()["extra"]["field"] == "file"
    assert "JPEG, PNG or WebP" in fake.json()["detail"]
    gif = io.BytesIO()
    Image.new("RGB", (20, 20)).save(gif, "GIF")
    assert (
        await client.post(path, files={"file": ("a.png", gif.getvalue(), "image/png")}, headers=h)
    ).status_code == 400
    big = _jpeg() + b"\x00" * settings.picture_max_bytes
    too_big = await client.post(path, files={"file": ("big.jpg", big, "image/jpeg")}, headers=h)
    assert too_big.status_code == 413 and "too large" in too_big.json()["detail"]
    assert (await client.post(path, data={"nothing": "here"}, headers=h)).status_code == 400
    other = await factory.provider([category])
    theirs = await client.post(path, files={"file": ("a.jpg", _jpeg(), "image/jpeg")}, headers=factory.headers(other))
    assert theirs.status_code == 404
    member = await factory.user(Role.member)
    anon = await client.post(path, files={"file": ("a.jpg", _jpeg(), "image/jpeg")})
    assert anon.status_code == 401
    mine = await client.post(path, files={"file": ("a.jpg", _jpeg(), "image/jpeg")}, headers=factory.headers(member))
    assert mine.status_code == 404
    for n in range(6):
        ok = await client.post(path, files={"file": ("a.jpg", _jpeg(colour=(n, 0, 0)), "image/jpeg")}, headers=h)
        assert ok.status_code == 201
    seventh = await client.post(path, files={"file": ("a.jpg", _jpeg(), "image/jpeg")}, headers=h)
    assert seventh.status_code == 409 and "at most 6" in seventh.json()["detail"]
    for name in ("..%2F..%2Fetc%2Fpasswd", "x" * 32 + ".webp", "0" * 32 + ".webp"):
        assert (await client.get(f"/pictures/{name}")).status_code == 404


async def test_a_relisted_copy_keeps_the_pictures_and_removing_one_keeps_the_others_file(client, factory):
    category = await factory.category()
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category)
    h = factory.headers(provider)
    sent = await client.post(
        f"/api/v1/listings/{listing.id}/pictures", files={"file": ("a.jpg", _jpeg(), "image/jpeg")}, headers=h
    )
    picture = sent.json()
    copy = (await client.post(f"/api/v1/listings/{listing.id}/clone", headers=h)).json()
    assert [p["url"] for p in copy["pictures"]] == [picture["url"]]
    removed = await client.delete(f"/api/v1/listings/{listing.id}/pictures/{picture['id']}", headers=h)
    assert removed.status_code == 204
    assert (await client.get(picture["url"])).status_code == 200  # the copy still shows it


async def test_a_menu_card_shows_its_listings_first_picture_by_position(factory):
    """The cards read each listing's first picture (by position, then id) in their own statement."""
    market = await factory.market_below()
    category = await market.category()
    provider = await market.provider([category])
    shown, bare = await market.listing(provider, category, title="有图"), await market.listing(provider, category)
    made = {}
    async with factory.sessionmaker() as db, db.begin():
        for n, position in enumerate((2, 0, 1, 0)):  # two at position 0: the first added comes first
            made[n] = ListingPicture(
                market_id=market.market_id,
                listing_id=shown.id,
                position=position,
                **{"name": f"p{n}.webp", "width": 1280, "height": 960},
                **{"thumb_name": f"p{n}-t.webp", "thumb_width": 400, "thumb_height": 300},
            )
            db.add(made[n])
    async with factory.sessionmaker() as db:
        cards = {card.id: card for card in (await menu.browse(db, market.market_id)).items}
    assert cards[shown.id].picture == pictures.out(made[1])
    assert cards[bare.id].picture is None
