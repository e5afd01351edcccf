using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// Dynamic loss scaling for float16 training, as torch.cuda.amp.GradScaler with its defaults: the loss is multiplied
/// by the scale (65536 at first) before backward, so that small gradients survive float16; the gradients are divided
/// by it before clipping and the step; a step whose gradients are not finite is skipped and halves the scale, and
/// 2000 finite steps in a row double it. bfloat16 has float32's range and needs none of this.
/// </summary>
public sealed class GradScaler(double initialScale = 65536, double growthFactor = 2, double backoffFactor = 0.5, int growthInterval = 2000)
{
    int _goodSteps;

    public double Scale { get; private set; } = initialScale;

    /// <summary>The loss to call backward on.</summary>
    public Tensor Scaled(Tensor loss) => loss * Scale;

    /// <summary>
    /// Divides the gradients by the scale; false (skip this step) when any is not finite, in which case the gradients
    /// are dropped and the scale backs off. Call once per step, after backward and before clipping.
    /// </summary>
    public bool Unscale(IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Cast<Tensor>().ToList();
        bool finite = true;
        using (no_grad())
            foreach (var g in grads)
            {
                g.div_(Scale);
                if (finite && !isfinite(g).all().item<bool>()) finite = false;
            }
        if (!finite)
        {
            foreach (var g in grads) g.zero_();
            Scale *= backoffFactor;
            _goodSteps = 0;
            return false;
        }
        if (++_goodSteps == growthInterval) (Scale, _goodSteps) = (Scale * growthFactor, 0);
        return true;
    }
}
