# Runner image for cluster nodes. GPU workers need the CUDA build of TorchSharp (the default here); the same image
# runs the coordinator, which never loads Torch.
#   docker build -t runner .                              (TorchSharp-cuda-linux)
#   docker build -t runner --build-arg TORCH_BACKEND=cpu .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND=cuda
WORKDIR /src
COPY . .
RUN dotnet publish src/Runner.Cli -c Release -p:TorchBackend=${TORCH_BACKEND} -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app .
# Fashion-MNIST (Debian's dataset-fashion-mnist, found at /usr/share/datasets/fashion-mnist): the source data of every
# pretraining, so workers need no data volume; and the shipped subset for quick runs.
RUN apt-get update && apt-get install -y --no-install-recommends dataset-fashion-mnist && rm -rf /var/lib/apt/lists/*
COPY data/fashion-mnist-subset /data/fashion-mnist-subset
ENV RUNNER_STATE=/state DOTNET_CLI_TELEMETRY_OPTOUT=1
VOLUME /state
ENTRYPOINT ["/app/runner"]
CMD ["--help"]
