import { Router } from "express";
import { openApiDocument, type Operation } from "../openapi.js";

export function openApiRoutes(publicUrl: string, extra: Operation[]): Router {
  const r = Router();
  const document = openApiDocument(publicUrl, extra);
  r.get("/openapi.json", (_req, res) => {
    res.json(document);
  });
  return r;
}
