#!/usr/bin/env bash
# release-steps.sh REPOSITORY VERSION: the release job's steps (release.yml), in the order that keeps a
# broken image out of the registry:
#   1. build the image (no push) and note its id;
#   2. run the image smoke (image-smoke.sh) on exactly that image id;
#   3. push REPOSITORY:VERSION (meshfork build --push; the rebuild comes whole from the cache and must
#      give the same image id) and take the manifest digest the registry answered;
#   4. move REPOSITORY:latest to that digest, last;
#   5. write release.json ({image, digest, reference, imageId}) and, when DEPLOY_SPEC names a file,
#      the deploy spec's image reference (deploy-image.js).
# Environment: MESHFORK (the meshfork command, default `npx --no-install meshfork`), MESHFORK_BUILD_ARGS
# (more build flags, e.g. `--base-image IMAGE --network host`), DOCKER (default docker), POSTGRES_* for
# the smoke, OUT (where release.json goes, default .), DEPLOY_SPEC. Exits non-zero at the first failed step.
set -euo pipefail
repository=$1
version=$2
MESHFORK=${MESHFORK:-npx --no-install meshfork}
DOCKER=${DOCKER:-docker}
OUT=${OUT:-.}
read -r -a build_args <<< "${MESHFORK_BUILD_ARGS:-}"
scripts=$(cd "$(dirname "$0")" && pwd)
# Both builds must make the same image: the "created" label comes from the commit, not the clock.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
field() { node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(String(r[process.argv[2]]))' "$1" "$2"; }

echo "release: 1/5 build $repository:$version"
$MESHFORK --json build --frozen-lock --tag "$repository:$version" "${build_args[@]}" > "$OUT/build.json"
image_id=$(field "$OUT/build.json" imageId)

echo "release: 2/5 smoke run of $image_id"
SMOKE_PULL=false DOCKER="$DOCKER" bash "$scripts/image-smoke.sh" "$image_id"

echo "release: 3/5 push $repository:$version"
$MESHFORK --json build --frozen-lock --push --tag "$repository:$version" "${build_args[@]}" > "$OUT/push.json"
pushed_id=$(field "$OUT/push.json" imageId)
digest=$(field "$OUT/push.json" digest)
if [ "$pushed_id" != "$image_id" ]; then echo "release: the pushed build is $pushed_id, not the smoked $image_id" >&2; exit 1; fi
case $digest in sha256:*) ;; *) echo "release: the push reported no digest" >&2; exit 1 ;; esac

echo "release: 4/5 move $repository:latest to $digest"
"$DOCKER" tag "$image_id" "$repository:latest"
latest=$("$DOCKER" push "$repository:latest" | sed -n 's/.*digest: \(sha256:[0-9a-f]\{64\}\).*/\1/p')
if [ "$latest" != "$digest" ]; then echo "release: latest was pushed as ${latest:-nothing}, not $digest" >&2; exit 1; fi

echo "release: 5/5 image reference $repository@$digest"
node -e 'const [file, image, digest, imageId] = process.argv.slice(1); require("fs").writeFileSync(file, JSON.stringify({ image, digest, reference: `${image}@${digest}`, imageId }, null, 2) + "\n")' \
  "$OUT/release.json" "$repository" "$digest" "$image_id"
if [ -n "${DEPLOY_SPEC:-}" ]; then node "$scripts/deploy-image.js" "$DEPLOY_SPEC" "$repository@$digest"; fi
echo "release: $repository:$version and :latest are $digest"
