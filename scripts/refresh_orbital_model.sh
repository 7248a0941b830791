#!/bin/sh
# Regenerate every document that depends on a shipped QM9 orbital model (qm9_homo or qm9_lumo),
# after `scann export RUN_DIR MODEL` has replaced its weights.
#
#   sh scripts/refresh_orbital_model.sh MODEL [CHECKPOINT ...]
#
# Run from the repository root with the virtual environment active and the machine otherwise idle
# (about 10 min on 2 cores; the first run on a machine also computes 30 B3LYP/6-31G references,
# about 8 more min, cached under ~/.cache/scann/orbitals). It rewrites in place:
#   docs/ga_stats.csv and .png                (scann ga-stats, every shipped QM9 model)
#   docs/ORBITAL_AGREEMENT.md                 (gallery, whole file)
#   docs/ORBITAL_AGREEMENT_QM9.md             (30 QM9 test molecules, its generated block)
#   assets/data/orbital_agreement_qm9.csv     (the Explore page's context numbers)
#   docs/PAPER_MOLECULES.md                   (whole file)
#   docs/ATTRIBUTION.md                       (MODEL's two generated blocks) and docs/attribution_MODEL*.csv*
#   docs/ga_seeds_MODEL.csv                   (only with CHECKPOINTs: GA of MODEL against each, e.g. the second
#                                              seed and earlier weights from `git show COMMIT:scann_core/pretrained/MODEL.pt`)
# and writes to $REFRESH_OUT (default /tmp/refresh_MODEL) what the hand-written prose quotes:
# the orbital agreement of the previously committed weights (previous.pt, from git HEAD) for comparison.
# The prose around the generated blocks, the GA-statistics history table and the model's section in
# docs/MODELS.md are then updated by hand from these files.
set -eu
model=$1
shift
out=${REFRESH_OUT:-/tmp/refresh_$model}
mkdir -p "$out"
export PYTHONPATH=.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
seed_model=scann_core/pretrained/seeds/${model}_seed1.pt
log() { echo "$(date -u +%T) $*" >&2; }

# Fail now, not after ten minutes of work: the command and every checkpoint must be there.
command -v scann > /dev/null || { echo "scann not found: activate the virtual environment first" >&2; exit 2; }
for checkpoint in "$@"; do
    [ -f "$checkpoint" ] || { echo "no such checkpoint: $checkpoint" >&2; exit 2; }
done

git show "HEAD:scann_core/pretrained/$model.pt" > "$out/previous.pt"

log "GA statistics"
scann ga-stats --out docs --device cpu

log "orbital agreement: gallery, 30 QM9 test molecules, and the previous weights on the same 30"
python scripts/orbital_agreement.py > docs/ORBITAL_AGREEMENT.md
python scripts/orbital_agreement.py --sample qm9 --n 30 --basis 6-31G \
    --summary assets/data/orbital_agreement_qm9.csv > "$out/orbital_agreement_qm9.md"
python scripts/splice_generated.py docs/ORBITAL_AGREEMENT_QM9.md orbital_agreement_qm9 "$out/orbital_agreement_qm9.md"
python scripts/orbital_agreement.py --sample qm9 --n 30 --basis 6-31G --models "$out/previous.pt" \
    > "$out/orbital_agreement_qm9_previous.md"

log "the paper's example molecules"
python scripts/paper_molecules_check.py --out docs/PAPER_MOLECULES.md

log "attribution: 200 QM9 test molecules, then the gallery"
seed_option=""
[ -f "$seed_model" ] && seed_option="--seed-model $seed_model"
# shellcheck disable=SC2086
python scripts/attribution_report.py --model "$model" --n 200 --threads 2 --device cpu \
    --out "$out/attribution_held_out.md" --records "docs/attribution_${model}_records.csv" \
    --table "docs/attribution_${model}.csv" --atoms "docs/attribution_${model}_atoms.csv.gz" $seed_option
python scripts/splice_generated.py docs/ATTRIBUTION.md "attribution_${model}_held_out" \
    "$out/attribution_held_out.md" --drop-title --demote 2
python scripts/attribution_report.py --model "$model" --structures gallery --threads 2 --device cpu \
    --out "$out/attribution_gallery.md" --records "docs/attribution_${model}_gallery_records.csv" \
    --table "docs/attribution_${model}_gallery.csv" --atoms "docs/attribution_${model}_gallery_atoms.csv.gz"
python scripts/splice_generated.py docs/ATTRIBUTION.md "attribution_${model}_gallery" \
    "$out/attribution_gallery.md" --drop-title --demote 2

if [ $# -gt 0 ]; then
    log "GA against the given checkpoints"
    scann ga-seeds "$model" "$@" --device cpu --out "docs/ga_seeds_$model.csv"
fi
log "done; prose inputs in $out"
