"""Process-wide instances: one per key, shared by threads, path spellings shared, weak keys."""

from __future__ import annotations

import gc
import threading

from tmscal.process_wide import ProcessWide, path_key


def test_one_instance_per_key_across_threads(tmp_path):
    made: list[str] = []

    def make(key: str) -> object:
        made.append(key)
        return object()

    registry: ProcessWide[str, object] = ProcessWide(make)
    spellings = [str(tmp_path / "m.sqlite3"), str(tmp_path / "x" / ".." / "m.sqlite3")]
    found: list[object] = []
    threads = [threading.Thread(target=lambda s=s: found.append(registry.get(path_key(s))))
               for s in spellings * 8]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and all(instance is found[0] for instance in found)
    registry.forget(path_key(spellings[0]))
    assert registry.get(path_key(spellings[1])) is not found[0]
    replacement = object()
    registry.install(path_key(spellings[0]), replacement)
    assert registry.get(path_key(spellings[1])) is replacement


def test_weak_keys_go_with_their_object():
    class Owner:
        pass

    registry: ProcessWide[Owner, list] = ProcessWide(lambda owner: [], weak_keys=True)
    owner = Owner()
    assert registry.get(owner) is registry.get(owner)
    del owner
    gc.collect()
    assert len(registry._made) == 0
