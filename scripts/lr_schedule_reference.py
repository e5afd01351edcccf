"""Learning-rate factors from PyTorch's own schedulers, one line per optimizer step, for Runner's parity test.

usage: lr_schedule_reference.py SCHEDULE EPOCHS STEPS_PER_EPOCH WARMUP_EPOCHS [MILESTONES GAMMA]
Prints the factor (lr / base lr) in effect at each step, as torch.optim.lr_scheduler computes it: cosine and
one-cycle stepped every batch, step (MultiStepLR) every epoch, linear warm-up (LinearLR) chained before them.
"""
import sys
import warnings

import torch

# The reference steps its schedulers without training, which PyTorch warns about; the values are what matter.
warnings.filterwarnings("ignore")

schedule, epochs, steps, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
milestones = [int(m) for m in sys.argv[5].split(",")] if len(sys.argv) > 5 else []
gamma = float(sys.argv[6]) if len(sys.argv) > 6 else 0.1
total, warm = epochs * steps, warmup * steps
opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
S = torch.optim.lr_scheduler

if schedule == "cosine":
    main = S.CosineAnnealingLR(opt, T_max=total - warm, eta_min=0)
elif schedule == "one-cycle":
    main = S.OneCycleLR(opt, max_lr=1.0, total_steps=total - warm, pct_start=0.3, anneal_strategy="cos",
                        div_factor=25.0, final_div_factor=1e4, cycle_momentum=False)
elif schedule == "step":
    main = None  # stepped per epoch below
else:
    main = S.LambdaLR(opt, lambda _: 1.0)

if schedule == "step":
    # MultiStepLR counts epochs from the first one, warm-up or not; the warm-up ramp multiplies it.
    step_sched = S.MultiStepLR(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0), milestones=milestones, gamma=gamma)
    for step in range(total):
        if step > 0 and step % steps == 0:
            step_sched.step()
        epoch_factor = step_sched.get_last_lr()[0]
        ramp = (step + 1) / warm if step < warm else 1.0
        print(repr(epoch_factor * ramp))
    sys.exit(0)

warm_sched = S.LinearLR(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0), start_factor=1.0 / warm, end_factor=1.0,
                        total_iters=warm - 1) if warm > 1 else None
for step in range(total):
    if step < warm:
        factor = 1.0 / warm if warm == 1 else warm_sched.get_last_lr()[0]
        if warm_sched is not None:
            warm_sched.step()
    else:
        factor = opt.param_groups[0]["lr"]
        opt.step()
        main.step()
    print(repr(factor))
