using Runner.Sweeps;
using static TorchSharp.torch.utils.tensorboard;

namespace Runner.Training.Engine;

/// <summary>
/// TensorBoard event files for one trial (`tensorboard --logdir STATE/tensorboard` shows every trial). TorchSharp's
/// writer appends each event to the file as it is added, so there is nothing to close.
/// </summary>
public sealed class TensorBoardLog(string folder)
{
    readonly TorchSharp.Modules.SummaryWriter _writer = SummaryWriter(folder, createRunName: false);

    public void Write(EpochMetrics e)
    {
        _writer.add_scalar("loss/train", (float)e.TrainLoss, e.Epoch);
        _writer.add_scalar("loss/validation", (float)e.ValLoss, e.Epoch);
        _writer.add_scalar("accuracy/train", (float)e.TrainAccuracy, e.Epoch);
        _writer.add_scalar("accuracy/validation", (float)e.ValAccuracy, e.Epoch);
        _writer.add_scalar("speed/images_per_second", (float)e.ImagesPerSecond, e.Epoch);
    }
}
