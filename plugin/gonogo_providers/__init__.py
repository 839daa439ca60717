"""Small httpx clients for the providers the runbook reads: Render, Vercel, Supabase, Pinecone."""

from __future__ import annotations
